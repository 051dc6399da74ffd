// Package tuitest is what the TUI's tests share: a small swarm and source
// that drift in several ways, a fixed clock, timers that fire only when a
// test says so, and key presses. It is imported by tests only.
package tuitest

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/secretdeck/secretdeck/internal/leak"
	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/common"
)

// KnownValues are the values of Data: no screen may show them unless
// revealed. Tests read it, never change it.
var KnownValues = []string{"hunter2-db-pass", "old-db-pass-zz", "payment-key-new", "stats-pw-in-env", "redis-data-xyz"}

// Now is the fixed time of every test: Data's objects are three days old.
func Now() time.Time { return time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC) }

// Data is a small swarm and source that drift in several ways: a mounted
// secret whose value changed in the source (api), secrets made outside
// secretdeck (billing, checkout), an unparsable file (billing), a file of a
// service the swarm does not run (redis), a credential in an env var (proxy)
// and a secret nobody mounts (legacy_token). Each call builds a fresh copy.
func Data() *common.Data {
	key, _ := model.NewFingerprintKey(bytes.Repeat([]byte{9}, model.FingerprintKeySize))
	created := Now().Add(-72 * time.Hour)
	managed := func(id, name, logical string, n int, value string) model.Secret {
		return model.Secret{ID: id, Name: name, CreatedAt: created, Labels: map[string]string{
			model.LabelLogical: logical, model.LabelVersion: fmt.Sprint(n),
			model.LabelFingerprint: string(key.Fingerprint(logical, model.NewValueString(value))),
		}}
	}
	sw := &model.SwarmSnapshot{
		Endpoint:  model.Endpoint{Host: "unix:///var/run/docker.sock", Context: "default", Source: "default", APIVersion: "1.41"},
		ClusterID: "6x4ge8l9tfoj30nql22qhl3b1", NodeID: "n1", NodeRole: "manager",
		Nodes: []model.Node{{ID: "n1", Hostname: "manager1", Role: "manager", Leader: true}},
		Secrets: []model.Secret{
			managed("s1", "api_db_pass_v1", "api_db_pass", 1, "old-db-pass-zz"),
			{ID: "s2", Name: "payment_key_v1", CreatedAt: created},
			{ID: "s3", Name: "payment_key_v2", CreatedAt: created},
			{ID: "s4", Name: "legacy_token", CreatedAt: created},
		},
		Services: []model.Service{
			{ID: "a", Name: "api", Mode: "replicated", UpdatedAt: created, Spec: model.ServiceSpec{
				Secrets: []model.FileRef{{ID: "s1", Name: "api_db_pass_v1", Target: "db_pass", UID: "0", GID: "0", Mode: 0o400}}}},
			{ID: "b", Name: "billing", Mode: "replicated", UpdatedAt: created, Spec: model.ServiceSpec{
				Secrets: []model.FileRef{{ID: "s2", Name: "payment_key_v1", Target: "payment_key", UID: "0", GID: "0", Mode: 0o440}}}},
			{ID: "c", Name: "checkout", Stack: "shop", Mode: "replicated", UpdatedAt: created, Spec: model.ServiceSpec{
				Secrets: []model.FileRef{{ID: "s3", Name: "payment_key_v2", Target: "payment_key", UID: "0", GID: "0", Mode: 0o440}}}},
			{ID: "d", Name: "proxy", Mode: "replicated", UpdatedAt: created, Spec: model.ServiceSpec{
				Env: []model.EnvVar{{Name: "STATS_PASS", Value: model.NewValueString("stats-pw-in-env")}}}},
		},
		Tasks: []model.Task{{ID: "t1", ServiceID: "a", NodeID: "n1", DesiredState: "running", State: "running", SecretIDs: []string{"s1"}, CreatedAt: created}},
	}
	entry := func(k, v string) model.Entry { return model.Entry{Key: k, Value: model.NewValueString(v)} }
	src := &model.SourceSnapshot{
		URI: "s3://ops-config/services", Env: "prod", Envs: []string{"dev", "prod"}, Key: key,
		Files: []model.PropertyFile{
			{Key: "api.json.prod", Service: "api", Format: model.FormatJSON, Env: "prod", LastModified: created, Size: 30,
				Entries: []model.Entry{entry("db_pass", "hunter2-db-pass")}},
			{Key: "redis.env.prod", Service: "redis", Format: model.FormatEnv, Env: "prod", LastModified: created, Size: 20,
				Entries: []model.Entry{entry("my_secret_data", "redis-data-xyz")}},
			{Key: "shared.yaml.prod", Service: "shared", Format: model.FormatYAML, Env: "prod", LastModified: created, Size: 20,
				Entries: []model.Entry{entry("payment_key", "payment-key-new")}},
			{Key: "billing.yaml.prod", Service: "billing", Format: model.FormatYAML, Env: "prod", LastModified: created, Size: 9,
				Err: &model.ParseError{File: "billing.yaml.prod", Line: 2, Msg: "syntax error"}},
		},
	}
	audit := []common.AuditEntry{ // this machine's log: this swarm's records and another's
		{Time: created, User: "alice", Swarm: "0ther5warm0000000000000000", Context: "staging", Action: "reveal", Subject: "api.json.staging#db_pass", Result: "ok"},
		{Time: created.Add(time.Hour), User: "alice", Swarm: sw.ClusterID, Context: "default", Plan: "p-20261119-160000", Action: "apply", Subject: "api", Result: "verified"},
	}
	return &common.Data{Swarm: sw, Source: src, Drift: model.Drift(model.DriftInput{Swarm: sw, Source: src, Key: key}), Audit: audit}
}

// Redrift recomputes d's drift after a test changed its swarm or source, as
// the app's loader does (with the source's manifest).
func Redrift(d *common.Data) *common.Data {
	d.Drift = model.Drift(model.DriftInput{Swarm: d.Swarm, Source: d.Source, Manifest: d.Source.Manifest, Key: d.Source.Key})
	return d
}

// AssertNoValues fails t if screen shows one of KnownValues.
func AssertNoValues(t testing.TB, screen string) {
	t.Helper()
	leak.Check(t, "the screen", screen, KnownValues...)
}

// Stale is the fixture's stale finding (api mounts an old api_db_pass): the
// one finding a plan fixes, second in the Drift pane after the exposure.
func Stale(d *common.Data) *model.Finding {
	for _, f := range d.Findings() {
		if f.Kind == model.KindStale {
			return &f
		}
	}
	panic("the fixture has no stale finding")
}
