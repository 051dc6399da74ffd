package swarm

import (
	"os"
	"strings"

	"github.com/moby/moby/api/types/swarm"

	"github.com/secretdeck/secretdeck/model"
)

// The converters translate engine objects into model types, one small
// function per concept, each linear in its input: LoadSnapshot's cost is
// their sum.

func convertNode(n *swarm.Node) model.Node {
	out := model.Node{
		ID: n.ID, Hostname: model.Printable(n.Description.Hostname), Role: string(n.Spec.Role),
		Availability: string(n.Spec.Availability), State: string(n.Status.State), Addr: model.Printable(n.Status.Addr),
		EngineVersion: model.Printable(n.Description.Engine.EngineVersion),
	}
	if n.ManagerStatus != nil {
		out.Leader = n.ManagerStatus.Leader
	}
	return out
}

func convertSecret(s *swarm.Secret) model.Secret {
	out := model.Secret{
		ID: s.ID, Name: s.Spec.Name, Labels: printableLabels(s.Spec.Labels), Version: s.Version.Index,
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt,
	}
	if s.Spec.Driver != nil {
		out.Driver = s.Spec.Driver.Name
	}
	return out
}

// printableLabels escapes what a label holds that a terminal would obey.
// Labels are read, never written back: the copy is for every face to print.
func printableLabels(labels map[string]string) map[string]string {
	for k, v := range labels {
		if model.Printable(k) != k || model.Printable(v) != v {
			out := make(map[string]string, len(labels))
			for k, v := range labels {
				out[model.Printable(k)] = model.Printable(v)
			}
			return out
		}
	}
	return labels
}

func convertConfig(c *swarm.Config) model.Config {
	return model.Config{
		ID: c.ID, Name: c.Spec.Name, Labels: printableLabels(c.Spec.Labels), Version: c.Version.Index,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, Data: c.Spec.Data, Size: len(c.Spec.Data),
	}
}

func convertService(s *swarm.Service) model.Service {
	out := model.Service{
		ID: s.ID, Name: s.Spec.Name, Version: s.Version.Index,
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt,
		Stack:        model.Printable(s.Spec.Labels[model.StackNamespaceLabel]),
		Spec:         convertSpec(&s.Spec),
		UpdateConfig: convertUpdateConfig(s.Spec.UpdateConfig),
		UpdateStatus: convertUpdateStatus(s.UpdateStatus),
	}
	out.Mode, out.Replicas = convertMode(s.Spec.Mode)
	if j := s.Spec.Mode.ReplicatedJob; j != nil {
		out.Completions = j.TotalCompletions
	}
	if rp := s.Spec.TaskTemplate.RestartPolicy; rp != nil {
		out.RestartCondition = string(rp.Condition)
	}
	if pl := s.Spec.TaskTemplate.Placement; pl != nil {
		for _, c := range pl.Constraints {
			out.Constraints = append(out.Constraints, model.Printable(c))
		}
	}
	if s.PreviousSpec != nil {
		prev := convertSpec(s.PreviousSpec)
		out.Previous = &prev
	}
	return out
}

// convertMode names the mode as `docker service ls` does; replicas are the
// desired count, for replicated services only.
func convertMode(m swarm.ServiceMode) (string, *uint64) {
	switch {
	case m.Replicated != nil:
		return "replicated", m.Replicated.Replicas
	case m.Global != nil:
		return "global", nil
	case m.ReplicatedJob != nil:
		return "replicated-job", nil
	case m.GlobalJob != nil:
		return "global-job", nil
	}
	return "", nil
}

func convertUpdateConfig(u *swarm.UpdateConfig) *model.UpdateConfig {
	if u == nil {
		return nil
	}
	return &model.UpdateConfig{
		Parallelism: u.Parallelism, Delay: u.Delay, FailureAction: string(u.FailureAction),
		Monitor: u.Monitor, MaxFailureRatio: u.MaxFailureRatio, Order: string(u.Order),
	}
}

func convertUpdateStatus(u *swarm.UpdateStatus) *model.UpdateStatus {
	if u == nil {
		return nil
	}
	out := &model.UpdateStatus{State: string(u.State), Message: model.Printable(u.Message)}
	if u.StartedAt != nil {
		out.StartedAt = *u.StartedAt
	}
	if u.CompletedAt != nil {
		out.CompletedAt = *u.CompletedAt
	}
	return out
}

func convertSpec(spec *swarm.ServiceSpec) model.ServiceSpec {
	out := model.ServiceSpec{Labels: printableLabels(spec.Labels), Secrets: []model.FileRef{}}
	cs := spec.TaskTemplate.ContainerSpec
	if cs == nil { // a plugin service: nothing mounted
		return out
	}
	out.Image = model.Printable(cs.Image)
	out.Env = convertEnv(cs.Env)
	for _, r := range cs.Secrets {
		out.Secrets = append(out.Secrets, secretRef(r))
	}
	for _, r := range cs.Configs {
		out.Configs = append(out.Configs, configRef(r))
	}
	return out
}

// convertEnv splits NAME=value on the first '=' (values may contain more)
// and holds each value as a model.Value: a plain variable may be a
// credential passed in clear, and must never be printed by accident.
func convertEnv(env []string) []model.EnvVar {
	if len(env) == 0 {
		return nil
	}
	out := make([]model.EnvVar, 0, len(env))
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		out = append(out, model.EnvVar{Name: model.Printable(name), Value: model.NewValueString(value)})
	}
	return out
}

func secretRef(r *swarm.SecretReference) model.FileRef {
	ref := model.FileRef{ID: r.SecretID, Name: r.SecretName}
	if f := r.File; f != nil { // nil for a runtime target (credential specs)
		ref.Target, ref.UID, ref.GID, ref.Mode = f.Name, f.UID, f.GID, perm(f.Mode)
	}
	return ref
}

func configRef(r *swarm.ConfigReference) model.FileRef {
	ref := model.FileRef{ID: r.ConfigID, Name: r.ConfigName}
	if f := r.File; f != nil {
		ref.Target, ref.UID, ref.GID, ref.Mode = f.Name, f.UID, f.GID, perm(f.Mode)
	}
	return ref
}

func perm(m os.FileMode) uint32 { return uint32(m.Perm()) }

func convertTask(t *swarm.Task) model.Task {
	out := model.Task{
		ID: t.ID, ServiceID: t.ServiceID, NodeID: t.NodeID, Slot: t.Slot,
		DesiredState: string(t.DesiredState), State: string(t.Status.State),
		Message: model.Printable(t.Status.Message), Err: model.Printable(t.Status.Err), CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
	}
	// The task's own spec, not the service's: it says what this container
	// really mounts, which is how a rollout is verified.
	if cs := t.Spec.ContainerSpec; cs != nil && len(cs.Secrets) > 0 {
		out.SecretIDs = make([]string, len(cs.Secrets))
		for i, r := range cs.Secrets {
			out.SecretIDs[i] = r.SecretID
		}
	}
	if cs := t.Spec.ContainerSpec; cs != nil && len(cs.Configs) > 0 {
		out.ConfigIDs = make([]string, len(cs.Configs))
		for i, r := range cs.Configs {
			out.ConfigIDs[i] = r.ConfigID
		}
	}
	return out
}
