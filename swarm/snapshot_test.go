package swarm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/swarm"

	"github.com/secretdeck/secretdeck/model"
)

func TestLoadSnapshotRefusesNodesThatCannotAnswer(t *testing.T) {
	cases := []struct {
		name     string
		info     swarm.Info
		sentinel error
		want     string
	}{
		{"no swarm", swarm.Info{LocalNodeState: swarm.LocalNodeStateInactive}, ErrSwarmInactive, "docker swarm init"},
		{"state not reported", swarm.Info{}, ErrSwarmInactive, "docker swarm init"},
		{"locked", swarm.Info{LocalNodeState: swarm.LocalNodeStateLocked}, ErrSwarmInactive, "docker swarm unlock"},
		{"joining", swarm.Info{LocalNodeState: swarm.LocalNodeStatePending}, ErrSwarmInactive, "still joining"},
		{"error", swarm.Info{LocalNodeState: swarm.LocalNodeStateError}, ErrSwarmInactive, "docker info"},
		{"worker", swarm.Info{LocalNodeState: swarm.LocalNodeStateActive, ControlAvailable: false}, ErrNotManager, "run secretdeck on a manager node"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			api := counting(&fakeAPI{info: c.info})
			_, err := LoadSnapshot(context.Background(), api)
			var nodeErr *NodeError
			if !errors.Is(err, c.sentinel) || !errors.As(err, &nodeErr) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v", err)
			}
			if api.String() != "Info:1" {
				t.Errorf("a refused node must cost one call, got %s", api)
			}
		})
	}
}

func TestLoadSnapshotMapsListErrors(t *testing.T) {
	engineErr := errors.New("Error response from daemon: This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state.")
	f := &fakeAPI{info: managerInfo(), listErr: map[string]error{"SecretList": engineErr}}
	_, err := LoadSnapshot(context.Background(), f)
	if !errors.Is(err, ErrNotManager) || !errors.Is(err, engineErr) || !strings.Contains(err.Error(), "run secretdeck on a manager node") {
		t.Errorf("demoted between Info and the lists: %v", err)
	}

	other := errors.New("Error response from daemon: boom")
	f.listErr = map[string]error{"TaskList": other}
	if _, err := LoadSnapshot(context.Background(), f); !errors.Is(err, other) || !strings.HasPrefix(err.Error(), "list tasks: ") {
		t.Errorf("a list error says which list: %v", err)
	}

	f.infoErr = context.DeadlineExceeded
	if _, err := LoadSnapshot(context.Background(), f); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("info error: %v", err)
	}
}

func TestLoadSnapshotIsSortedAndComplete(t *testing.T) {
	api := counting(largeFake(300, 60, 200))
	snap, err := LoadSnapshot(context.Background(), api)
	if err != nil {
		t.Fatal(err)
	}
	if api.String() != oneCallEach {
		t.Errorf("calls: %s", api)
	}
	if snap.ClusterID != "cluster-1" || snap.NodeID != "node-1" || snap.NodeRole != "manager" || snap.LoadedAt.IsZero() {
		t.Errorf("identity: %+v", snap)
	}
	if len(snap.Nodes) != 5 || len(snap.Secrets) != 300 || len(snap.Services) != 60 || len(snap.Tasks) != 200 {
		t.Fatalf("counts: %d nodes %d secrets %d services %d tasks", len(snap.Nodes), len(snap.Secrets), len(snap.Services), len(snap.Tasks))
	}
	if !slices.IsSortedFunc(snap.Secrets, func(a, b model.Secret) int { return strings.Compare(a.Name, b.Name) }) ||
		!slices.IsSortedFunc(snap.Services, func(a, b model.Service) int { return strings.Compare(a.Name, b.Name) }) {
		t.Error("secrets and services must be sorted by name")
	}
	for i := 1; i < len(snap.Tasks); i++ {
		a, b := snap.Tasks[i-1], snap.Tasks[i]
		if a.ServiceID > b.ServiceID || a.ServiceID == b.ServiceID && a.Slot > b.Slot {
			t.Fatalf("tasks out of order at %d: %s/%d then %s/%d", i, a.ServiceID, a.Slot, b.ServiceID, b.Slot)
		}
	}
	// Two loads of the same swarm are equal, whatever order the engine used.
	again, _ := LoadSnapshot(context.Background(), largeFake(300, 60, 200))
	again.LoadedAt = snap.LoadedAt
	// As JSON: a model.Value is no data to reflect.DeepEqual (its bytes sit
	// behind a func), and prints redacted; the order is what is compared.
	a, _ := json.Marshal(again)
	b, _ := json.Marshal(snap)
	if !bytes.Equal(a, b) {
		t.Error("loads of the same swarm differ")
	}
}

func TestLoadSnapshotOfAnEmptySwarm(t *testing.T) {
	api := counting(&fakeAPI{info: managerInfo()})
	snap, err := LoadSnapshot(context.Background(), api)
	if err != nil || api.String() != oneCallEach {
		t.Fatalf("%v, calls %s", err, api)
	}
	if snap.Secrets == nil || snap.Services == nil || snap.Tasks == nil {
		t.Error("empty lists are empty slices, so JSON says [] rather than null")
	}
}
