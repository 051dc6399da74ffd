package seed

import (
	"context"
	"testing"

	"github.com/moby/moby/client"

	"github.com/secretdeck/secretdeck/internal/testrig"
)

// TestSeedAndCleanup seeds a small swarm on the rig's engine, checks what a
// test relies on (names, labels, mounts, replicas), and that Cleanup leaves
// nothing behind.
func TestSeedAndCleanup(t *testing.T) {
	api, err := client.New(client.WithHost(testrig.Docker(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	ctx := context.Background()
	o := Options{Prefix: testrig.UniqueName("seed") + "_", Secrets: 12, Services: 4, Mounts: 3, Running: 1, Image: testrig.Image(t)}
	t.Cleanup(func() { _ = Cleanup(context.Background(), api, o.Prefix) })
	if err := Seed(ctx, api, o); err != nil {
		t.Fatal(err)
	}

	mine := client.Filters{}.Add("label", Label+"="+o.Prefix)
	secrets, err := api.SecretList(ctx, client.SecretListOptions{Filters: mine})
	if err != nil || len(secrets.Items) != o.Secrets {
		t.Fatalf("%d seeded secrets, %v", len(secrets.Items), err)
	}
	services, err := api.ServiceList(ctx, client.ServiceListOptions{Filters: mine})
	if err != nil || len(services.Items) != o.Services {
		t.Fatalf("%d seeded services, %v", len(services.Items), err)
	}
	modes := map[uint32]bool{}
	for _, svc := range services.Items {
		var i int
		for i = range o.Services {
			if ServiceName(o.Prefix, i) == svc.Spec.Name {
				break
			}
		}
		want := uint64(0)
		if i < o.Running {
			want = 1
		}
		if got := *svc.Spec.Mode.Replicated.Replicas; got != want {
			t.Errorf("%s: %d replicas, want %d", svc.Spec.Name, got, want)
		}
		refs := svc.Spec.TaskTemplate.ContainerSpec.Secrets
		if len(refs) != o.Mounts {
			t.Fatalf("%s mounts %d secrets", svc.Spec.Name, len(refs))
		}
		for j, r := range refs {
			s, target, uid, gid, mode := Mount(o, i, j)
			if r.SecretName != SecretName(o.Prefix, s) || r.File.Name != target || r.File.UID != uid || r.File.GID != gid || r.File.Mode != mode {
				t.Errorf("%s ref %d: %+v", svc.Spec.Name, j, r.File)
			}
			modes[uint32(r.File.Mode)] = true
		}
	}
	if len(modes) < 3 {
		t.Errorf("mounts should vary their modes, got %v", modes)
	}

	if err := Cleanup(ctx, api, o.Prefix); err != nil {
		t.Fatal(err)
	}
	secrets, _ = api.SecretList(ctx, client.SecretListOptions{Filters: mine})
	services, _ = api.ServiceList(ctx, client.ServiceListOptions{Filters: mine})
	if len(secrets.Items)+len(services.Items) != 0 {
		t.Errorf("cleanup left %d secrets and %d services", len(secrets.Items), len(services.Items))
	}
}
