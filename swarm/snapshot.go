package swarm

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/moby/moby/client"
	"golang.org/x/sync/errgroup"

	"github.com/secretdeck/secretdeck/model"
)

// SnapshotAPI is the part of the engine API a snapshot reads.
type SnapshotAPI interface {
	Info(context.Context, client.InfoOptions) (client.SystemInfoResult, error)
	NodeList(context.Context, client.NodeListOptions) (client.NodeListResult, error)
	SecretList(context.Context, client.SecretListOptions) (client.SecretListResult, error)
	ConfigList(context.Context, client.ConfigListOptions) (client.ConfigListResult, error)
	ServiceList(context.Context, client.ServiceListOptions) (client.ServiceListResult, error)
	TaskList(context.Context, client.TaskListOptions) (client.TaskListResult, error)
}

// Snapshot reads the whole swarm through c. Its errors name c's endpoint: a
// *ConnectError when the engine stopped answering, a *NodeError when it is
// not a manager of an active swarm.
func (c *Client) Snapshot(ctx context.Context) (*model.SwarmSnapshot, error) {
	var api SnapshotAPI = c.api
	if c.raw != nil {
		api = streamingAPI{Client: c.api, raw: c.raw}
	}
	return c.located(LoadSnapshot(ctx, api))
}

// LoadSnapshot reads a swarm with a CONSTANT number of calls, whatever its
// size: one Info to check that the engine is a manager of an active swarm
// (else a *NodeError wrapping ErrSwarmInactive or ErrNotManager), then one
// list call per object type, run concurrently, so the wait is the slowest
// call rather than their sum. Every slice is sorted, so two loads of an
// unchanged swarm are equal.
func LoadSnapshot(ctx context.Context, api SnapshotAPI) (*model.SwarmSnapshot, error) {
	snap, err := managerSnapshot(ctx, api)
	if err != nil {
		return nil, err
	}

	// Each goroutine fills its own field of snap: no lock needed.
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		res, err := api.NodeList(ctx, client.NodeListOptions{})
		snap.Nodes = convertAll(res.Items, convertNode)
		return wrapList("nodes", err)
	})
	g.Go(func() error {
		if s, ok := api.(secretStreamer); ok { // the largest list: read as it arrives (rawlist.go)
			secrets, err := s.streamSecrets(ctx)
			if !errors.Is(err, errNotStreamed) {
				snap.Secrets = secrets
				return wrapList("secrets", err)
			}
		}
		res, err := api.SecretList(ctx, client.SecretListOptions{})
		snap.Secrets = convertAll(res.Items, convertSecret)
		return wrapList("secrets", err)
	})
	g.Go(func() error {
		res, err := api.ConfigList(ctx, client.ConfigListOptions{})
		snap.Configs = convertAll(res.Items, convertConfig)
		return wrapList("configs", err)
	})
	g.Go(func() error {
		res, err := api.ServiceList(ctx, client.ServiceListOptions{})
		snap.Services = convertAll(res.Items, convertService)
		res.Items = nil // moby's services go before their labels are pooled
		pool := newLabelPool()
		for i := range snap.Services {
			s := &snap.Services[i]
			s.Spec.Labels = pool.labels(s.Spec.Labels)
			if s.Previous != nil {
				s.Previous.Labels = pool.labels(s.Previous.Labels)
			}
		}
		return wrapList("services", err)
	})
	g.Go(func() error {
		res, err := api.TaskList(ctx, client.TaskListOptions{})
		snap.Tasks = convertAll(res.Items, convertTask)
		return wrapList("tasks", err)
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	sortSnapshot(snap)
	return snap, nil
}

// managerSnapshot is an empty snapshot of the swarm whose manager api
// speaks to, from the engine's Info; else a *NodeError saying what the
// engine is instead.
func managerSnapshot(ctx context.Context, api SnapshotAPI) (*model.SwarmSnapshot, error) {
	info, err := api.Info(ctx, client.InfoOptions{})
	if err != nil {
		return nil, fmt.Errorf("read engine info: %w", err)
	}
	sw := info.Info.Swarm
	if state := string(sw.LocalNodeState); state != "active" {
		if state == "" {
			state = "inactive"
		}
		return nil, &NodeError{State: state, Err: ErrSwarmInactive}
	}
	if !sw.ControlAvailable {
		return nil, &NodeError{State: "active", Err: ErrNotManager}
	}
	snap := &model.SwarmSnapshot{NodeID: sw.NodeID, NodeRole: "manager", LoadedAt: time.Now()}
	if sw.Cluster != nil {
		snap.ClusterID = sw.Cluster.ID
	}
	return snap, nil
}

func wrapList(what string, err error) error {
	if err == nil {
		return nil
	}
	err = classify(err)
	var nodeErr *NodeError
	if errors.As(err, &nodeErr) {
		return err // demoted or left the swarm since Info: its own message says what to do
	}
	return fmt.Errorf("list %s: %w", what, err)
}

func convertAll[A, B any](in []A, f func(*A) B) []B {
	out := make([]B, len(in))
	for i := range in {
		out[i] = f(&in[i])
	}
	return out
}

// sortSnapshot orders every slice by name (ID breaks ties, since names of
// nodes may repeat) and tasks by service, slot, then age.
func sortSnapshot(s *model.SwarmSnapshot) {
	slices.SortFunc(s.Nodes, func(a, b model.Node) int { return cmp.Or(cmp.Compare(a.Hostname, b.Hostname), cmp.Compare(a.ID, b.ID)) })
	slices.SortFunc(s.Secrets, func(a, b model.Secret) int { return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID)) })
	slices.SortFunc(s.Configs, func(a, b model.Config) int { return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID)) })
	slices.SortFunc(s.Services, func(a, b model.Service) int { return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID)) })
	slices.SortFunc(s.Tasks, func(a, b model.Task) int {
		return cmp.Or(cmp.Compare(a.ServiceID, b.ServiceID), cmp.Compare(a.Slot, b.Slot), a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
}
