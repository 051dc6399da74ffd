package plan

import "github.com/secretdeck/secretdeck/model"

// The states of the pane, set directly for the tests of what it shows; the
// tests of what it does go through Update and a fake engine.

func (p *Pane) SetPlan(pl *model.RotationPlan, err error) { p.setPlan(pl, err) }
func (p *Pane) Start(pl *model.RotationPlan)              { p.begin(pl) }
func (p *Pane) Step(s model.Step)                         { p.step(s) }
func (p *Pane) Done(r *model.ApplyResult, err error)      { p.finish(r, err) }
