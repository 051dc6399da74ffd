package swarm

import (
	"context"
	"errors"
	"testing"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/secretdeck/secretdeck/internal/seed"
	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
)

// TestClassifyTheEngineRefusals provokes each refusal rotation work meets on
// the real engine and checks that its text maps to the sentinel.
func TestClassifyTheEngineRefusals(t *testing.T) {
	c := connectRig(t)
	api := c.API()
	ctx := context.Background()
	p := testrig.UniqueName("refuse") + "_"
	t.Cleanup(func() {
		if err := seed.Cleanup(context.Background(), api, p); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	sec, err := api.SecretCreate(ctx, client.SecretCreateOptions{Spec: swarm.SecretSpec{
		Annotations: swarm.Annotations{Name: p + "db", Labels: map[string]string{seed.Label: p}}, Data: []byte("x")}})
	if err != nil {
		t.Fatal(err)
	}
	ref := func(target string) *swarm.SecretReference {
		return &swarm.SecretReference{SecretID: sec.ID, SecretName: p + "db",
			File: &swarm.SecretReferenceFileTarget{Name: target, UID: "0", GID: "0", Mode: 0o400}}
	}
	zero := uint64(0)
	svc, err := api.ServiceCreate(ctx, client.ServiceCreateOptions{Spec: swarm.ServiceSpec{
		Annotations:  swarm.Annotations{Name: p + "api", Labels: map[string]string{seed.Label: p}},
		TaskTemplate: swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{Image: testrig.Image(t), Secrets: []*swarm.SecretReference{ref("db")}}},
		Mode:         swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &zero}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	insp, err := api.ServiceInspect(ctx, svc.ID, client.ServiceInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}

	_, err = api.SecretRemove(ctx, sec.ID, client.SecretRemoveOptions{})
	if err := classify(err); !errors.Is(err, ErrInUse) {
		t.Errorf("remove of a mounted secret: %v", err)
	}

	twice := insp.Service.Spec
	twice.TaskTemplate.ContainerSpec.Secrets = []*swarm.SecretReference{ref("db"), ref("db")}
	_, err = api.ServiceUpdate(ctx, svc.ID, client.ServiceUpdateOptions{Version: insp.Service.Version, Spec: twice})
	if err := classify(err); !errors.Is(err, ErrConflictingTarget) {
		t.Errorf("two references at one target: %v", err)
	}

	renamed := insp.Service.Spec
	renamed.TaskTemplate.ContainerSpec.Secrets = []*swarm.SecretReference{ref("db2")}
	if _, err := api.ServiceUpdate(ctx, svc.ID, client.ServiceUpdateOptions{Version: insp.Service.Version, Spec: renamed}); err != nil {
		t.Fatal(err)
	}
	_, err = api.ServiceUpdate(ctx, svc.ID, client.ServiceUpdateOptions{Version: insp.Service.Version, Spec: renamed}) // stale version
	if err := classify(err); !errors.Is(err, ErrOutOfSequence) || !errors.Is(err, model.ErrOutOfSequence) {
		t.Errorf("update with a stale version: %v", err)
	}
}
