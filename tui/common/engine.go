package common

import (
	"context"

	"github.com/secretdeck/secretdeck/model"
)

// Engine is what the Plan pane needs of the rotation engine: compile a plan
// from the data on screen, and apply one. The app implements it over
// package model and the apply the CLI shares; tests give a fake that can
// disagree. Plans are named and dated by the engine.
type Engine interface {
	// Plan compiles the findings sel picks into a plan.
	Plan(d *Data, sel func(model.Finding) bool) (*model.RotationPlan, error)
	// Resume finishes plan planID, left half-done.
	Resume(d *Data, planID string) (*model.RotationPlan, error)
	// Revert undoes plan planID, left half-done.
	Revert(d *Data, planID string) (*model.RotationPlan, error)
	// Apply runs a confirmed plan; progress is called for every step, from
	// Apply's goroutine (never with a value).
	Apply(ctx context.Context, p *model.RotationPlan, progress func(model.Step)) (*model.ApplyResult, error)
}
