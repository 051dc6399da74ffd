package model

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Builders for drift tests: a tiny swarm and source described in a few lines.

var (
	t0       = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	testFKey = mustKey(7)
)

func mustKey(fill byte) FingerprintKey {
	k, err := NewFingerprintKey(bytes.Repeat([]byte{fill}, FingerprintKeySize))
	if err != nil {
		panic(err)
	}
	return k
}

type world struct {
	swarm  SwarmSnapshot
	source SourceSnapshot
	man    *Manifest
	key    FingerprintKey
	images []ImageHistory
}

func newWorld() *world {
	return &world{swarm: SwarmSnapshot{NodeRole: "manager"}, source: SourceSnapshot{Env: "prod", Envs: []string{"prod"}}, key: testFKey}
}

// secret adds a secret made outside secretdeck (no labels).
func (w *world) secret(name string) *world {
	w.swarm.Secrets = append(w.swarm.Secrets, Secret{ID: "id-" + name, Name: name, CreatedAt: t0})
	return w
}

// managed adds a secret made by secretdeck for logical l, version n, holding value.
func (w *world) managed(l string, n int, value string, labels ...string) *world {
	name, _ := VersionName(l, n)
	lb := map[string]string{
		LabelLogical: l, LabelVersion: fmt.Sprint(n),
		LabelFingerprint: string(w.key.Fingerprint(l, NewValueString(value))),
	}
	for i := 0; i+1 < len(labels); i += 2 {
		lb[labels[i]] = labels[i+1]
	}
	w.swarm.Secrets = append(w.swarm.Secrets, Secret{ID: "id-" + name, Name: name, Labels: lb, CreatedAt: t0})
	return w
}

// service adds a service mounting secrets as "name:target".
func (w *world) service(name string, mounts ...string) *world {
	svc := Service{ID: "svc-" + name, Name: name, UpdatedAt: t0, Mode: "replicated"}
	for _, m := range mounts {
		secret, target, _ := strings.Cut(m, ":")
		svc.Spec.Secrets = append(svc.Spec.Secrets, FileRef{ID: "id-" + secret, Name: secret, Target: target, UID: "0", GID: "0", Mode: 0o444})
	}
	w.swarm.Services = append(w.swarm.Services, svc)
	return w
}

// running adds a running task of the last service, started at at.
func (w *world) running(at time.Time) *world {
	svc := w.last()
	w.swarm.Tasks = append(w.swarm.Tasks, Task{ID: fmt.Sprintf("t%d", len(w.swarm.Tasks)), ServiceID: svc.ID,
		DesiredState: "running", State: "running", CreatedAt: at, SecretIDs: idsOf(svc.Spec.Secrets)})
	return w
}

// last returns the last service added, to adjust it.
func (w *world) last() *Service { return &w.swarm.Services[len(w.swarm.Services)-1] }

// file adds a property file of service with entries "key=value".
func (w *world) file(key, service string, entries ...string) *world {
	f := PropertyFile{Key: key, Service: service, Format: FormatProperties, Env: "prod", LastModified: t0}
	for _, e := range entries {
		k, v, _ := strings.Cut(e, "=")
		f.Entries = append(f.Entries, Entry{Key: k, Value: NewValueString(v)})
	}
	w.source.Files = append(w.source.Files, f)
	return w
}

func (w *world) drift() *DriftReport {
	return Drift(DriftInput{Swarm: &w.swarm, Source: &w.source, Manifest: w.man, Key: w.key})
}

// driftWithImages is drift with the images' histories looked at.
func (w *world) driftWithImages() *DriftReport {
	images := append([]ImageHistory{}, w.images...)
	return Drift(DriftInput{Swarm: &w.swarm, Source: &w.source, Manifest: w.man, Key: w.key, Images: images})
}

// kinds lists "kind service/logical/secret" of findings, for compact asserts.
func kinds(r *DriftReport) []string {
	out := []string{}
	for _, f := range r.Findings {
		out = append(out, fmt.Sprintf("%s %s/%s/%s", f.Kind, f.Service, f.Logical, f.Secret))
	}
	return out
}

func assertFindings(t *testing.T, r *DriftReport, want ...string) {
	t.Helper()
	got := kinds(r)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("findings:\n got %q\nwant %q", got, want)
		for _, f := range r.Findings {
			t.Logf("  %s: %s", f.Kind, f.Explanation)
		}
	}
}
