package swarm

import (
	"context"
	"reflect"
	"testing"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
)

// On the real engine, the secrets read as they arrive are the ones moby's
// client reads, labels and driver included.
func TestStreamedSecretsAsMoby(t *testing.T) {
	c := connectRig(t)
	ctx := context.Background()
	name := testrig.UniqueName("streamed")
	res, err := c.API().SecretCreate(ctx, client.SecretCreateOptions{Spec: swarm.SecretSpec{
		Annotations: swarm.Annotations{Name: name, Labels: map[string]string{model.LabelLogical: name, "x": "é\x1b[0m"}},
		Data:        []byte("streamed-Value"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = c.API().SecretRemove(context.Background(), res.ID, client.SecretRemoveOptions{}) })

	streamed, err := streamingAPI{Client: c.API(), raw: c.raw}.streamSecrets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	list, err := c.API().SecretList(ctx, client.SecretListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := convertAll(list.Items, convertSecret)
	sortSnapshot(&model.SwarmSnapshot{Secrets: streamed})
	sortSnapshot(&model.SwarmSnapshot{Secrets: want})
	if !reflect.DeepEqual(streamed, want) {
		t.Fatalf("streamed %d secrets, moby %d, or they differ", len(streamed), len(want))
	}
	found := false
	for _, s := range streamed {
		if s.Name == name {
			found = s.Labels["x"] == model.Printable("é\x1b[0m") && s.Labels[model.LabelLogical] == name && !s.CreatedAt.IsZero()
		}
	}
	if !found {
		t.Fatalf("secret %s not streamed with its labels", name)
	}
	snap, err := c.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := snap.SecretAsked(name); !ok {
		t.Fatalf("Snapshot has no %s", name)
	}
}

// BenchmarkSnapshotAtScale reads the whole swarm of the rig (10,000
// secrets after `bench/scale.sh --keep`) through moby's client alone and
// with the secrets streamed, in turns:
//
//	go test ./swarm -run XXX -bench SnapshotAtScale -benchmem -count 5
func BenchmarkSnapshotAtScale(b *testing.B) {
	c, err := Connect(context.Background(), ConnectOptions{Host: testrig.Docker(b)})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	for _, mode := range []struct {
		name string
		api  SnapshotAPI
	}{{"moby", c.API()}, {"streamed", streamingAPI{Client: c.API(), raw: c.raw}}} {
		b.Run(mode.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := LoadSnapshot(context.Background(), mode.api); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
