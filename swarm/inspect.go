package swarm

import (
	"context"
	"errors"
	"maps"
	"sync"
	"time"

	"github.com/moby/moby/client"
	"golang.org/x/sync/errgroup"

	"github.com/secretdeck/secretdeck/internal/lazyre"
	"github.com/secretdeck/secretdeck/model"
)

// A question about one secret or service needs a small part of the swarm:
// loading all of it (10,000 secrets, every task ever kept) to answer it
// costs the whole swarm's size in transfer and decoding. These loaders ask
// the engine, with its filters, for what model.InspectSecret and
// model.InspectService read, so that on what they return those give the
// same answer as on a whole snapshot:
//
//   - secret NAME: the secrets called NAME… (a name filter is a prefix),
//     with ID NAME, or labelled as versions of NAME; then the same for
//     the logical secret of the one asked, when that is another name; every
//     service (which of them names a version is not something the engine
//     can filter on); every node (hostnames, managers); the tasks of the
//     services that name a version, and only theirs.
//   - service NAME: the services called NAME… or with ID NAME, and the
//     tasks of the one asked.
//
// A name that matches nothing falls back to the whole snapshot, so that the
// error names the closest names exactly as before.

// tasksByServiceLimit is the most services whose tasks are asked for by a
// filter: the engine resolves each one separately, so past a few dozen one
// unfiltered list costs less.
const tasksByServiceLimit = 32

// swarmID matches what an object ID looks like (25 lower-case base-36
// characters); a name that does not look like one needs no ID lookup.
var swarmID = lazyre.New(`^[a-z0-9]{25}$`)

// SnapshotForSecret reads what `inspect secret name` needs (see above).
// Errors are those of Snapshot.
func (c *Client) SnapshotForSecret(ctx context.Context, name string) (*model.SwarmSnapshot, error) {
	return c.located(LoadForSecret(ctx, c.api, name))
}

// SnapshotForService reads what `inspect service name` needs.
func (c *Client) SnapshotForService(ctx context.Context, name string) (*model.SwarmSnapshot, error) {
	return c.located(LoadForService(ctx, c.api, name))
}

// located gives a loaded snapshot, or its error, the client's endpoint.
func (c *Client) located(s *model.SwarmSnapshot, err error) (*model.SwarmSnapshot, error) {
	var nodeErr *NodeError
	switch {
	case errors.As(err, &nodeErr):
		nodeErr.Endpoint = c.endpoint
		return nil, err
	case client.IsErrConnectionFailed(err):
		return nil, &ConnectError{Endpoint: c.endpoint, Err: err}
	case err != nil:
		return nil, err
	}
	s.Endpoint = c.endpoint
	return s, nil
}

// LoadForSecret reads the part of the swarm that `inspect secret name`
// reads: three round trips at most (the secrets asked for, services and
// nodes at once; the logical secret's versions when the name asked was
// another; the tasks of the services that name a version).
func LoadForSecret(ctx context.Context, api SnapshotAPI, name string) (*model.SwarmSnapshot, error) {
	snap := &model.SwarmSnapshot{}
	secrets := secretSet{}
	err := listed(ctx, api, snap, func(ctx context.Context, g *errgroup.Group) {
		secrets.load(ctx, g, api, name, swarmID().MatchString(name))
		g.Go(func() error {
			res, err := api.NodeList(ctx, client.NodeListOptions{})
			snap.Nodes = convertAll(res.Items, convertNode)
			return wrapList("nodes", err)
		})
		g.Go(func() error {
			res, err := api.ServiceList(ctx, client.ServiceListOptions{})
			snap.Services = convertAll(res.Items, convertService)
			return wrapList("services", err)
		})
	})
	if err != nil {
		return nil, err
	}
	snap.Secrets = secrets.all()
	sortSnapshot(snap) // what is asked is found in the order of a whole snapshot
	sec, ok := snap.SecretAsked(name)
	if !ok {
		return LoadSnapshot(ctx, api)
	}
	if logical := sec.LogicalVersion().Logical; logical != name {
		more := secretSet{}
		g, gctx := errgroup.WithContext(ctx)
		more.load(gctx, g, api, logical, false)
		if err := g.Wait(); err != nil {
			return nil, err
		}
		maps.Copy(secrets, more)
		snap.Secrets = secrets.all()
		sortSnapshot(snap)
	}
	ids := []string{sec.ID}
	for _, v := range snap.Versions(sec.LogicalVersion().Logical) {
		ids = append(ids, v.Secret.ID)
	}
	if snap.Tasks, err = tasksOf(ctx, api, snap.ServicesNaming(ids...)); err != nil {
		return nil, err
	}
	sortSnapshot(snap)
	return snap, nil
}

// LoadForService reads the part of the swarm that `inspect service name`
// reads: the services that may be the one asked, then its tasks.
func LoadForService(ctx context.Context, api SnapshotAPI, name string) (*model.SwarmSnapshot, error) {
	snap := &model.SwarmSnapshot{}
	var byName, byID []model.Service
	err := listed(ctx, api, snap, func(ctx context.Context, g *errgroup.Group) {
		g.Go(func() error {
			res, err := api.ServiceList(ctx, client.ServiceListOptions{Filters: make(client.Filters).Add("name", name)})
			byName = convertAll(res.Items, convertService)
			return wrapList("services", err)
		})
		if swarmID().MatchString(name) {
			g.Go(func() error {
				res, err := api.ServiceList(ctx, client.ServiceListOptions{Filters: make(client.Filters).Add("id", name)})
				byID = convertAll(res.Items, convertService)
				return wrapList("services", err)
			})
		}
	})
	if err != nil {
		return nil, err
	}
	snap.Services = uniqueByID(append(byName, byID...), func(s model.Service) string { return s.ID })
	sortSnapshot(snap)
	svc, ok := snap.ServiceAsked(name)
	if !ok {
		return LoadSnapshot(ctx, api)
	}
	if snap.Tasks, err = tasksOf(ctx, api, []string{svc.ID}); err != nil {
		return nil, err
	}
	sortSnapshot(snap)
	return snap, nil
}

// listed runs the list calls that start adds to g, without the engine's
// Info first (on a 2-core manager it costs a fifth of an inspect): they
// succeed only on a manager of an active swarm. When one fails, Info says
// why, so the error is LoadSnapshot's. The snapshot gets no NodeID nor
// ClusterID, which inspect does not show.
func listed(ctx context.Context, api SnapshotAPI, snap *model.SwarmSnapshot, start func(context.Context, *errgroup.Group)) error {
	snap.NodeRole, snap.LoadedAt = "manager", time.Now()
	g, gctx := errgroup.WithContext(ctx)
	start(gctx, g)
	err := g.Wait()
	if err == nil {
		return nil
	}
	if _, infoErr := managerSnapshot(ctx, api); infoErr != nil {
		return infoErr
	}
	return err
}

// secretSet holds secrets by ID, each once however many filters found it.
type secretSet map[string]model.Secret

// load adds to g the calls that find the secrets called name…, labelled
// as versions of the logical secret name, and (byID) the one with that ID.
func (s secretSet) load(ctx context.Context, g *errgroup.Group, api SnapshotAPI, name string, byID bool) {
	filters := []client.Filters{
		make(client.Filters).Add("name", name),
		make(client.Filters).Add("label", model.LabelLogical+"="+name),
	}
	if byID {
		filters = append(filters, make(client.Filters).Add("id", name))
	}
	var mu sync.Mutex
	for _, f := range filters {
		g.Go(func() error {
			res, err := api.SecretList(ctx, client.SecretListOptions{Filters: f})
			mu.Lock()
			defer mu.Unlock()
			for i := range res.Items {
				sec := convertSecret(&res.Items[i])
				s[sec.ID] = sec
			}
			return wrapList("secrets", err)
		})
	}
}

func (s secretSet) all() []model.Secret {
	out := make([]model.Secret, 0, len(s))
	for _, sec := range s {
		out = append(out, sec)
	}
	return out
}

// tasksOf lists the tasks of the services with ids: by a filter for a few,
// all of them past tasksByServiceLimit. A service removed since it was
// listed makes the engine refuse the filter: the whole list is then read.
func tasksOf(ctx context.Context, api SnapshotAPI, ids []string) ([]model.Task, error) {
	if len(ids) == 0 {
		return []model.Task{}, nil
	}
	var opts client.TaskListOptions
	if len(ids) <= tasksByServiceLimit {
		opts.Filters = make(client.Filters).Add("service", ids...)
	}
	res, err := api.TaskList(ctx, opts)
	if err != nil && opts.Filters != nil {
		res, err = api.TaskList(ctx, client.TaskListOptions{})
	}
	if err != nil {
		return nil, wrapList("tasks", err)
	}
	keep := make(map[string]bool, len(ids))
	for _, id := range ids {
		keep[id] = true
	}
	out := make([]model.Task, 0, len(res.Items))
	for i := range res.Items {
		if keep[res.Items[i].ServiceID] {
			out = append(out, convertTask(&res.Items[i]))
		}
	}
	return out, nil
}

func uniqueByID[T any](xs []T, id func(T) string) []T {
	seen := make(map[string]bool, len(xs))
	out := xs[:0]
	for _, x := range xs {
		if !seen[id(x)] {
			seen[id(x)] = true
			out = append(out, x)
		}
	}
	return out
}
