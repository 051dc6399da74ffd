package model

import (
	"fmt"
	"time"
)

// How a service gets its property file's values.
const (
	// DeliverySecrets: each entry is a swarm secret the service mounts (the
	// default).
	DeliverySecrets = "secrets"
	// DeliveryWholeFile: the file itself is one secret.
	DeliveryWholeFile = "whole-file"
	// DeliveryRuntime: the service fetches its file itself at start-up (an
	// env var names it); its values are never swarm secrets, and a changed
	// file needs a restart.
	DeliveryRuntime = "runtime"
)

// Delivery is how one property file reaches its service, and why it was
// decided so.
type Delivery struct {
	File    string `json:"file"`
	Service string `json:"service"`
	Mode    string `json:"mode"` // DeliverySecrets, DeliveryWholeFile or DeliveryRuntime
	Why     string `json:"why"`
}

// delivery is how file f reaches its service, decided once per Drift.
func (d *drifter) delivery(f *PropertyFile) Delivery {
	dl, ok := d.deliveries[f.Key]
	if !ok {
		dl = d.decideDelivery(f)
		d.deliveries[f.Key] = dl
	}
	return dl
}

// decideDelivery decides how file f reaches its service: the manifest's
// word, or else runtime when an env var of the service names the file and
// the service mounts none of its entries, else secrets.
func (d *drifter) decideDelivery(f *PropertyFile) Delivery {
	out := Delivery{File: f.Key, Service: f.Service, Mode: DeliverySecrets, Why: "each entry is a secret (the default)"}
	policy := d.in.Manifest.service(f.Service)
	switch {
	case policy.Delivery != "":
		out.Mode, out.Why = policy.Delivery, "set in "+ManifestPath
		return out
	case policy.WholeFile:
		out.Mode, out.Why = DeliveryWholeFile, "set in "+ManifestPath
		return out
	case f.Shared():
		return out
	}
	svc := d.services[f.Service]
	if svc == nil {
		return out
	}
	env := ""
	for _, ev := range svc.Spec.Env {
		if ref := ev.Value.Reveal(); ref != "" && namesFile(ref, f.Key) {
			env = ev.Name
		}
	}
	if env == "" {
		return out
	}
	targets := map[string]bool{}
	for _, r := range svc.Spec.Secrets {
		targets[r.Target] = true
	}
	for _, e := range f.Entries {
		if targets[Normalize(e.Key)] || targets[e.Key] {
			out.Why = fmt.Sprintf("env %s names the file, but the service mounts its entries as secrets", env)
			return out
		}
	}
	out.Mode, out.Why = DeliveryRuntime, fmt.Sprintf("env %s names the file and the service mounts none of its entries: it reads the file at start-up", env)
	return out
}

// startedBefore is the number of the service's running tasks that started
// before t: they hold what the file said before t.
func (d *drifter) startedBefore(svc *Service, t time.Time) (before, running int) {
	for _, task := range d.in.Swarm.Tasks {
		if task.ServiceID != svc.ID || task.DesiredState != "running" || task.State != "running" {
			continue
		}
		running++
		if task.CreatedAt.Before(t) {
			before++
		}
	}
	return before, running
}

// restartReason says why a restart plan step restarts a service.
func restartReason(f Finding) string { return f.File + " changed after its tasks started" }
