package swarm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/secretdeck/secretdeck/model"
)

// ErrReadOnly is returned by every mutating call of a read-only client.
var ErrReadOnly = errors.New("read-only: secretdeck was started with --read-only, nothing is changed")

// mutate guards every mutating call: a read-only client refuses it here,
// whatever the caller (the UI hides actions too, but this is the guarantee).
func (c *Client) mutate(what string) error {
	switch {
	case c.readOnly:
		return fmt.Errorf("%s: %w", what, ErrReadOnly)
	case c.unencrypted && !c.allowUnencrypted:
		return fmt.Errorf("%s: %w", what, &PlaintextError{Host: c.endpoint.Host})
	}
	return nil
}

// CanWrite says why this client would refuse a change, before any is tried.
func (c *Client) CanWrite() error { return c.mutate("change the swarm") }

// PlaintextError refuses a write over a connection without TLS.
type PlaintextError struct{ Host string }

func (e *PlaintextError) Error() string {
	return fmt.Sprintf("the connection to %s is not encrypted (tcp:// without TLS): a secret's value would cross the network in clear; "+
		"connect over TLS (DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, or a docker context with TLS) or ssh://, or pass --insecure-transport", e.Host)
}

// Writer adapts a Client to model.SwarmWriter for applying plans.
type Writer struct {
	c         *Client
	clusterID string
}

// NewWriter returns the plan writer for the swarm with clusterID.
func (c *Client) NewWriter(clusterID string) *Writer { return &Writer{c: c, clusterID: clusterID} }

// ClusterID implements model.SwarmWriter.
func (w *Writer) ClusterID() string { return w.clusterID }

// CreateSecret implements model.SwarmWriter.
func (w *Writer) CreateSecret(ctx context.Context, name string, labels map[string]string, v model.Value) (string, error) {
	if err := w.c.mutate("create secret " + name); err != nil {
		return "", err
	}
	res, err := w.c.api.SecretCreate(ctx, client.SecretCreateOptions{Spec: swarm.SecretSpec{
		Annotations: swarm.Annotations{Name: name, Labels: labels}, Data: v.Bytes(),
	}})
	if err != nil {
		// The engine's error names the secret, never its data.
		return "", classify(err)
	}
	return res.ID, nil
}

// RemoveSecret implements model.SwarmWriter.
func (w *Writer) RemoveSecret(ctx context.Context, id string) error {
	if err := w.c.mutate("remove secret " + id); err != nil {
		return err
	}
	_, err := w.c.api.SecretRemove(ctx, id, client.SecretRemoveOptions{})
	return classify(err)
}

// CreateConfig implements model.SwarmWriter.
func (w *Writer) CreateConfig(ctx context.Context, name string, labels map[string]string, data []byte, templateDriver string) (string, error) {
	if err := w.c.mutate("create config " + name); err != nil {
		return "", err
	}
	spec := swarm.ConfigSpec{Annotations: swarm.Annotations{Name: name, Labels: labels}, Data: data}
	if templateDriver != "" {
		spec.Templating = &swarm.Driver{Name: templateDriver}
	}
	res, err := w.c.api.ConfigCreate(ctx, client.ConfigCreateOptions{Spec: spec})
	if err != nil {
		return "", classify(err)
	}
	return res.ID, nil
}

// RemoveConfig implements model.SwarmWriter.
func (w *Writer) RemoveConfig(ctx context.Context, id string) error {
	if err := w.c.mutate("remove config " + id); err != nil {
		return err
	}
	_, err := w.c.api.ConfigRemove(ctx, id, client.ConfigRemoveOptions{})
	return classify(err)
}

// Service implements model.SwarmWriter.
func (w *Writer) Service(ctx context.Context, id string) (*model.Service, error) {
	res, err := w.c.api.ServiceInspect(ctx, id, client.ServiceInspectOptions{})
	if err != nil {
		return nil, classify(err)
	}
	svc := convertService(&res.Service)
	return &svc, nil
}

// UpdateService implements model.SwarmWriter: one ServiceUpdate with the
// inspected spec, only its secret references replaced, the env vars edited
// (and ForceUpdate incremented for a restart).
func (w *Writer) UpdateService(ctx context.Context, id string, version uint64, edit model.ServiceEdit) error {
	if err := w.c.mutate("update service " + id); err != nil {
		return err
	}
	res, err := w.c.api.ServiceInspect(ctx, id, client.ServiceInspectOptions{})
	if err != nil {
		return classify(err)
	}
	spec := res.Service.Spec
	cs := spec.TaskTemplate.ContainerSpec
	if cs == nil {
		return fmt.Errorf("service %s has no container spec", spec.Name)
	}
	secrets := make([]*swarm.SecretReference, 0, len(edit.Secrets))
	for _, r := range edit.Secrets {
		secrets = append(secrets, &swarm.SecretReference{SecretID: r.ID, SecretName: r.Name,
			File: &swarm.SecretReferenceFileTarget{Name: r.Target, UID: r.UID, GID: r.GID, Mode: os.FileMode(r.Mode)}})
	}
	cs.Secrets = secrets
	if edit.Configs != nil {
		cs.Configs = configRefs(cs.Configs, edit.Configs)
	}
	cs.Env = editEnv(cs.Env, edit.EnvRemove, edit.EnvAdd)
	if edit.Restart {
		spec.TaskTemplate.ForceUpdate++
	}
	_, err = w.c.api.ServiceUpdate(ctx, id, client.ServiceUpdateOptions{Version: swarm.Version{Index: version}, Spec: spec})
	return classify(err) // ErrOutOfSequence is model.ErrOutOfSequence
}

// configRefs are the references of refs; a ref without a target is a
// runtime one (a credential spec), kept as the spec had it.
func configRefs(had []*swarm.ConfigReference, refs []model.FileRef) []*swarm.ConfigReference {
	out := make([]*swarm.ConfigReference, 0, len(refs))
	for _, r := range refs {
		if r.Target == "" {
			for _, h := range had {
				if h.ConfigID == r.ID && h.File == nil {
					out = append(out, h)
				}
			}
			continue
		}
		out = append(out, &swarm.ConfigReference{ConfigID: r.ID, ConfigName: r.Name,
			File: &swarm.ConfigReferenceFileTarget{Name: r.Target, UID: r.UID, GID: r.GID, Mode: os.FileMode(r.Mode)}})
	}
	return out
}

// editEnv removes the variables named in remove from env (NAME=VALUE, or a
// bare NAME) and sets those of add, as `docker service update --env-rm
// --env-add` does.
func editEnv(env, remove, add []string) []string {
	if len(remove)+len(add) == 0 {
		return env
	}
	drop := map[string]bool{}
	for _, name := range remove {
		drop[name] = true
	}
	for _, kv := range add {
		name, _, _ := strings.Cut(kv, "=")
		drop[name] = true
	}
	out := make([]string, 0, len(env)+len(add))
	for _, kv := range env {
		if name, _, _ := strings.Cut(kv, "="); !drop[name] {
			out = append(out, kv)
		}
	}
	return append(out, add...)
}

// Rollback implements model.SwarmWriter.
func (w *Writer) Rollback(ctx context.Context, id string, version uint64) error {
	if err := w.c.mutate("roll back service " + id); err != nil {
		return err
	}
	res, err := w.c.api.ServiceInspect(ctx, id, client.ServiceInspectOptions{})
	if err != nil {
		return classify(err)
	}
	_, err = w.c.api.ServiceUpdate(ctx, id, client.ServiceUpdateOptions{
		Version: swarm.Version{Index: version}, Spec: res.Service.Spec, Rollback: "previous",
	})
	return classify(err)
}

// Services implements model.SwarmWriter: every service as it is now, with
// its PreviousSpec (what removals are checked against).
func (w *Writer) Services(ctx context.Context) ([]model.Service, error) {
	res, err := w.c.api.ServiceList(ctx, client.ServiceListOptions{})
	if err != nil {
		return nil, classify(err)
	}
	return convertAll(res.Items, convertService), nil
}

// Tasks implements model.SwarmWriter.
func (w *Writer) Tasks(ctx context.Context, serviceID string) ([]model.Task, error) {
	res, err := w.c.api.TaskList(ctx, client.TaskListOptions{Filters: client.Filters{}.Add("service", serviceID)})
	if err != nil {
		return nil, classify(err)
	}
	return convertAll(res.Items, convertTask), nil
}
