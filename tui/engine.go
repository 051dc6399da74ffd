package tui

import (
	"context"
	"time"

	"github.com/secretdeck/secretdeck/internal/report"
	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/common"
)

// ApplyFunc runs a confirmed plan through the same code path as `secretdeck
// apply`, with the options the workbench was given; progress is called for
// every step (never with a value).
type ApplyFunc func(ctx context.Context, p *model.RotationPlan, o model.ApplyOptions, progress func(model.Step)) (*model.ApplyResult, error)

// engine is the Plan pane's common.Engine: the plans of package model, the
// apply the CLI gives, with the workbench's options, ids and clock.
type engine struct {
	apply   ApplyFunc
	options model.ApplyOptions
	// acceptExposed: the workbench was started with --accept-exposed-value.
	acceptExposed bool
	newID         func() string
	now           func() time.Time
	// staging: a node staged there makes the plan its incident plan.
	staging *common.Staging
}

func (e engine) input(d *common.Data) model.PlanInput {
	return model.PlanInput{Drift: d.Drift, Swarm: d.Swarm, Source: d.Source, Options: e.options, ID: e.newID(), Now: e.now()}
}

// Plan implements common.Engine.
func (e engine) Plan(d *common.Data, sel func(model.Finding) bool) (*model.RotationPlan, error) {
	in := e.input(d)
	in.Select = sel
	// What is staged was asked for: a revocation is staged on its own
	// finding only (Staging.Selects).
	in.Revoke = true
	in.AcceptExposed = e.acceptExposed
	if e.staging != nil && e.staging.Node != "" {
		// What `plan --exposed-on-node` makes, from the data on screen: a
		// node removed since is an error, never a plan of nothing.
		x, err := model.ExposedOnNode(d.Swarm, d.Drift, d.Key(), e.staging.Node)
		if err != nil {
			return nil, err
		}
		in.Exposure = x
	}
	return withDiffs(model.NewPlan(in))(d)
}

// withDiffs fills in a plan's stack file diffs for the Plan pane's preview.
func withDiffs(p *model.RotationPlan, err error) func(*common.Data) (*model.RotationPlan, error) {
	return func(d *common.Data) (*model.RotationPlan, error) {
		if err == nil {
			report.StackDiffs(p, d.Source)
		}
		return p, err
	}
}

// Resume implements common.Engine.
func (e engine) Resume(d *common.Data, planID string) (*model.RotationPlan, error) {
	return withDiffs(model.NewResumePlan(e.input(d), planID))(d)
}

// Revert implements common.Engine.
func (e engine) Revert(d *common.Data, planID string) (*model.RotationPlan, error) {
	return model.NewRevertPlan(d.Swarm, d.Source, planID, e.newID(), e.now())
}

// Apply implements common.Engine.
func (e engine) Apply(ctx context.Context, p *model.RotationPlan, progress func(model.Step)) (*model.ApplyResult, error) {
	return e.apply(ctx, p, e.options, progress)
}
