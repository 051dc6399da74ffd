// Package seed fills a swarm with many secrets and services, for integration
// tests and the benchmark script. Everything it creates carries the label
// secretdeck-test.seed=<prefix> and a name starting with the prefix.
package seed

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
	"golang.org/x/sync/errgroup"
)

// Label marks what Seed created.
const Label = "secretdeck-test.seed"

// API is the part of the engine API Seed uses.
type API interface {
	SecretCreate(context.Context, client.SecretCreateOptions) (client.SecretCreateResult, error)
	SecretList(context.Context, client.SecretListOptions) (client.SecretListResult, error)
	SecretRemove(context.Context, string, client.SecretRemoveOptions) (client.SecretRemoveResult, error)
	ServiceCreate(context.Context, client.ServiceCreateOptions) (client.ServiceCreateResult, error)
	ServiceList(context.Context, client.ServiceListOptions) (client.ServiceListResult, error)
	ServiceRemove(context.Context, string, client.ServiceRemoveOptions) (client.ServiceRemoveResult, error)
}

// Options size a seeded swarm.
type Options struct {
	Prefix   string // every name starts with it
	Secrets  int
	Services int
	Mounts   int    // secrets each service mounts (default 5)
	Running  int    // services with one running replica; the others have 0
	Image    string // image of the services
}

// SecretName is the name Seed gives to secret i.
func SecretName(prefix string, i int) string { return fmt.Sprintf("%ssecret_%04d", prefix, i) }

// ServiceName is the name Seed gives to service i.
func ServiceName(prefix string, i int) string { return fmt.Sprintf("%sservice_%04d", prefix, i) }

// Mount is what service i mounts as its j-th secret: secret (i*mounts+j) mod
// secrets, at target key_j, with a uid/gid/mode that varies with j.
func Mount(o Options, i, j int) (secret int, target, uid, gid string, mode os.FileMode) {
	modes := []os.FileMode{0o400, 0o440, 0o444}
	return (i*o.mounts() + j) % o.Secrets, fmt.Sprintf("key_%d", j), fmt.Sprint(1000 + j), fmt.Sprint(2000 + j), modes[j%len(modes)]
}

func (o Options) mounts() int {
	if o.Mounts <= 0 {
		return 5
	}
	return o.Mounts
}

// Seed creates the secrets, then the services, with bounded concurrency (a
// 2-core rig takes about a second for 1,000 secrets and 200 services). On
// error, what was created stays: call Cleanup with the same prefix.
func Seed(ctx context.Context, api API, o Options) error {
	ids := make([]string, o.Secrets)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for i := range o.Secrets {
		g.Go(func() error {
			res, err := api.SecretCreate(gctx, client.SecretCreateOptions{Spec: swarm.SecretSpec{
				Annotations: swarm.Annotations{Name: SecretName(o.Prefix, i), Labels: map[string]string{Label: o.Prefix}},
				Data:        fmt.Appendf(nil, "seeded value %d", i),
			}})
			ids[i] = res.ID
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("seed secrets: %w", err)
	}
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i := range o.Services {
		g.Go(func() error {
			_, err := api.ServiceCreate(gctx, client.ServiceCreateOptions{Spec: serviceSpec(o, i, ids)})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("seed services: %w", err)
	}
	return nil
}

func serviceSpec(o Options, i int, ids []string) swarm.ServiceSpec {
	replicas := uint64(0)
	if i < o.Running {
		replicas = 1
	}
	var refs []*swarm.SecretReference
	for j := range min(o.mounts(), o.Secrets) {
		s, target, uid, gid, mode := Mount(o, i, j)
		refs = append(refs, &swarm.SecretReference{SecretID: ids[s], SecretName: SecretName(o.Prefix, s),
			File: &swarm.SecretReferenceFileTarget{Name: target, UID: uid, GID: gid, Mode: mode}})
	}
	grace := time.Second
	return swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: ServiceName(o.Prefix, i), Labels: map[string]string{Label: o.Prefix}},
		TaskTemplate: swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{
			Image: o.Image, Secrets: refs, StopGracePeriod: &grace,
			Env: []string{"ECHOAPP_INTERVAL=60s", fmt.Sprintf("SEED_INDEX=%d", i)},
		}},
		Mode: swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &replicas}},
		// Fast rollouts, as every test service has: no delay, 1s monitor.
		UpdateConfig: &swarm.UpdateConfig{Parallelism: 1, Delay: 0, Monitor: time.Second, FailureAction: swarm.UpdateFailureActionRollback},
	}
}

// Cleanup removes what Seed created with this prefix: services first, then
// secrets (a secret is in use until its services are gone).
func Cleanup(ctx context.Context, api API, prefix string) error {
	mine := client.Filters{}.Add("label", Label+"="+prefix)
	services, err := api.ServiceList(ctx, client.ServiceListOptions{Filters: mine})
	if err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for _, s := range services.Items {
		if s.Spec.Labels[Label] == prefix && strings.HasPrefix(s.Spec.Name, prefix) {
			g.Go(func() error {
				_, err := api.ServiceRemove(gctx, s.ID, client.ServiceRemoveOptions{})
				return err
			})
		}
	}
	if err := g.Wait(); err != nil {
		return err
	}
	secrets, err := api.SecretList(ctx, client.SecretListOptions{Filters: mine})
	if err != nil {
		return err
	}
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(16)
	for _, s := range secrets.Items {
		if s.Spec.Labels[Label] == prefix {
			g.Go(func() error { return removeWhenFree(gctx, api, s.ID) })
		}
	}
	return g.Wait()
}

// removeWhenFree retries while the engine still counts a removed service's
// tasks as users of the secret.
func removeWhenFree(ctx context.Context, api API, id string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := api.SecretRemove(ctx, id, client.SecretRemoveOptions{})
		if err == nil || !strings.Contains(err.Error(), "in use") || time.Now().After(deadline) {
			return err
		}
		time.Sleep(250 * time.Millisecond)
	}
}
