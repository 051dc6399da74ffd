package model

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// config adds a swarm config; labels as "k", "v" pairs.
func (w *world) config(name, data string, labels ...string) *world {
	lb := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		lb[labels[i]] = labels[i+1]
	}
	w.swarm.Configs = append(w.swarm.Configs, Config{ID: "cfg-" + name, Name: name, Labels: lb, CreatedAt: t0, Data: []byte(data), Size: len(data)})
	return w
}

// managedConfig adds a config secretdeck made: version n of l.
func (w *world) managedConfig(l string, n int, data string) *world {
	name, _ := VersionName(l, n)
	return w.config(name, data, LabelLogical, l, LabelVersion, fmt.Sprint(n), LabelSHA256, ConfigSHA256([]byte(data)))
}

// mountConfig makes the last service mount config name at target.
func (w *world) mountConfig(name, target, uid, gid string, mode uint32) *world {
	svc := w.last()
	svc.Spec.Configs = append(svc.Spec.Configs, FileRef{ID: "cfg-" + name, Name: name, Target: target, UID: uid, GID: gid, Mode: mode})
	return w
}

// configFile adds configs/prod/<service>/<name> to the source.
func (w *world) configFile(service, name, data string) *world {
	w.source.Configs = append(w.source.Configs, ConfigFile{Key: "configs/prod/" + service + "/" + name, Service: service, Env: "prod",
		ETag: "etag-" + name, Data: []byte(data), Size: int64(len(data))})
	return w
}

func configWorld() *world {
	w := newWorld().
		service("web").mountConfig("nginx.conf", "/etc/nginx/nginx.conf", "101", "101", 0o440).
		config("nginx.conf", "worker_processes 1;\nlisten 80;\n").
		configFile("web", "nginx.conf", "worker_processes 2;\nlisten 80;\n").
		file("web.properties.prod", "web", "db_password=hunter2-db")
	w.man = &Manifest{Services: map[string]ServicePolicy{"web": {Configs: map[string]ConfigPolicy{"nginx.conf": {Target: "/etc/nginx/nginx.conf"}}}}}
	w.swarm.ClusterID = "c1"
	w.source.URI = "s3://b/p"
	w.swarm.Services[0].Version = 10
	return w
}

func TestConfigDrift(t *testing.T) {
	t.Run("stale, with a diff", func(t *testing.T) {
		r := configWorld().drift()
		f := findKind(r, KindConfigStale)
		if f == nil || f.Service != "web" || f.Logical != "web_nginx.conf" || f.Config != "nginx.conf" || f.File != "configs/prod/web/nginx.conf" {
			t.Fatalf("findings %q", kinds(r))
		}
		if !strings.Contains(f.Diff, "-worker_processes 1;\n+worker_processes 2;\n") || !strings.HasPrefix(f.Diff, "--- a/etc/nginx/nginx.conf") {
			t.Errorf("diff:\n%s", f.Diff)
		}
	})
	t.Run("same bytes: nothing to say", func(t *testing.T) {
		w := configWorld()
		w.swarm.Configs[0].Data = w.source.Configs[0].Data
		if f := findKind(w.drift(), KindConfigStale); f != nil {
			t.Errorf("a config that holds the source's bytes is %s", f.Explanation)
		}
	})
	t.Run("missing, then not mounted", func(t *testing.T) {
		w := newWorld().service("api").configFile("api", "app.yml", "a: 1\n")
		if f := findKind(w.drift(), KindConfigMissing); f == nil || f.Logical != "api_app.yml" {
			t.Errorf("findings %q", kinds(w.drift()))
		}
		w.managedConfig("api_app.yml", 1, "a: 1\n")
		if f := findKind(w.drift(), KindConfigNotMounted); f == nil || f.Config != "api_app.yml_v1" {
			t.Errorf("findings %q", kinds(w.drift()))
		}
	})
	t.Run("orphan: an old version nothing names", func(t *testing.T) {
		w := newWorld().service("api").managedConfig("api_app.yml", 1, "a: 0\n").managedConfig("api_app.yml", 2, "a: 1\n").
			mountConfig("api_app.yml_v2", "/app.yml", "0", "0", 0o444).configFile("api", "app.yml", "a: 1\n")
		r := w.drift()
		f := findKind(r, KindConfigOrphan)
		if f == nil || f.Config != "api_app.yml_v1" || f.Command != "docker config rm api_app.yml_v1" || len(r.Findings) != 1 {
			t.Errorf("findings %q", kinds(r))
		}
		// Named by a PreviousSpec, it is kept for a rollback.
		w.swarm.Services[0].Previous = &ServiceSpec{Configs: []FileRef{{ID: "cfg-api_app.yml_v1", Name: "api_app.yml_v1", Target: "/app.yml"}}}
		if f := findKind(w.drift(), KindConfigOrphan); f != nil {
			t.Errorf("a config a rollback needs is an orphan: %s", f.Explanation)
		}
	})
	t.Run("templated", func(t *testing.T) {
		w := configWorld()
		w.swarm.Configs[0].Templating = TemplateDriverGolang
		f := findKind(w.drift(), KindConfigStale)
		if f == nil || !strings.Contains(f.Explanation, "compared as templates") {
			t.Fatalf("findings %q", kinds(w.drift()))
		}
		if r := w.drift(); r.Configs[0].TemplateDriver != TemplateDriverGolang {
			t.Errorf("the new version would not be templated: %+v", r.Configs[0])
		}
	})
}

// TestConfigExposure: a config holding a property file's value, or setting
// a credential-like name to a literal, is reported without the value; the
// diff shows neither.
func TestConfigExposure(t *testing.T) {
	w := configWorld().config("legacy.ini", "[db]\nhost = db1\npassword = hunter2-db\n").
		config("app.env", "API_TOKEN=abc123literal\nLOG=debug\n").
		config("safe.env", "DB_PASSWORD_FILE=/run/secrets/db\nAPI_TOKEN=${API_TOKEN}\nsecret_key: {{ secret \"k\" }}\n")
	w.swarm.Configs[0].Data = []byte("worker_processes 1;\npassword hunter2-db;\nlisten 80;\n")
	r := w.drift()
	var got []string
	for _, f := range r.Findings {
		if f.Kind == KindConfigExposure {
			got = append(got, fmt.Sprintf("%s %s %s %s", f.Config, f.Severity, f.File, f.Key))
		}
	}
	want := []string{"legacy.ini high web.properties.prod db_password", "nginx.conf high web.properties.prod db_password", "app.env medium  API_TOKEN"}
	slices.Sort(got)
	slices.Sort(want)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("exposures\n got %q\nwant %q", got, want)
	}
	for _, f := range r.Findings {
		for _, v := range []string{"hunter2-db", "abc123literal"} {
			if strings.Contains(f.Explanation+f.Diff+f.Hint+f.Command, v) {
				t.Errorf("%s shows a value: %s %s", f.Kind, f.Explanation, f.Diff)
			}
		}
	}
	if f := findKind(r, KindConfigStale); f == nil || !strings.Contains(f.Diff, "-password "+Mask+";") {
		t.Errorf("the diff does not mask the value: %+v", f)
	}
}

// TestMaskConfig: values are found whole, not inside longer words.
func TestMaskConfig(t *testing.T) {
	w := newWorld().file("a.properties.prod", "a", "k=s3cr3tvalue", "short=abc", "url=https://x.example/db")
	sc := NewValueScanner(&w.source)
	for in, want := range map[string]string{
		"pass s3cr3tvalue\n":              "pass " + Mask + "\n",
		"pass xs3cr3tvalue\n":             "pass xs3cr3tvalue\n",
		"pass s3cr3tvalues\n":             "pass s3cr3tvalues\n",
		"k=\"s3cr3tvalue\",abc\n":         "k=\"" + Mask + "\",abc\n",
		"u: https://x.example/db?x\n":     "u: " + Mask + "?x\n",
		"API_KEY = 'literal-one'\n":       "API_KEY = " + Mask + "\n",
		"  - DB_PASSWORD=x\n":             "  - DB_PASSWORD=" + Mask + "\n",
		"DB_PASSWORD_FILE=/run/secrets\n": "DB_PASSWORD_FILE=/run/secrets\n",
	} {
		if got := string(MaskConfig([]byte(in), sc)); got != want {
			t.Errorf("MaskConfig(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzMaskConfig: whatever a config holds, masking never panics and the
// masked text never holds a value the scanner finds in it.
func FuzzMaskConfig(f *testing.F) {
	for _, s := range []string{"pass s3cr3tvalue\n", "API_KEY=x", "ééé s3cr3tvalue", "", "\x00\xff s3cr3tvalue\n"} {
		f.Add([]byte(s))
	}
	w := newWorld().file("a.properties.prod", "a", "k=s3cr3tvalue", "j=s3cr3tvalue2")
	sc := NewValueScanner(&w.source)
	f.Fuzz(func(t *testing.T, data []byte) {
		out := MaskConfig(data, sc)
		if hits := sc.find(out, 0); len(hits) > 0 {
			t.Fatalf("masked %q still holds a value: %q", data, out)
		}
		if line, _ := credentialLiteral(out); line > 0 {
			t.Fatalf("masked %q still sets a credential on line %d: %q", data, line, out)
		}
	})
}

// TestPlanSwapsSecretAndConfigInOneUpdate: a service with a stale secret and
// a stale config gets ONE update, its config's uid/gid/mode kept.
func TestPlanSwapsSecretAndConfigInOneUpdate(t *testing.T) {
	w := configWorld().managed("web_db_password", 1, "old")
	w.swarm.Services[0].Spec.Secrets = []FileRef{{ID: "id-web_db_password_v1", Name: "web_db_password_v1", Target: "db_password", UID: "0", GID: "0", Mode: 0o400}}
	p := planFor(t, w)
	if len(p.Services) != 1 {
		t.Fatalf("updates %+v", p.Services)
	}
	sc := p.Services[0]
	if fmt.Sprint(createNames(p.Creates)) != "[web_db_password_v2]" || len(p.ConfigCreates) != 1 || p.ConfigCreates[0].Name != "web_nginx.conf_v1" ||
		p.ConfigCreates[0].SHA256 != ConfigSHA256(w.source.Configs[0].Data) || p.ConfigCreates[0].SourceVersion != "etag-nginx.conf" {
		t.Fatalf("creates %+v %+v", p.Creates, p.ConfigCreates)
	}
	if want := (FileRef{Name: "web_nginx.conf_v1", Target: "/etc/nginx/nginx.conf", UID: "101", GID: "101", Mode: 0o440}); len(sc.ConfigsAfter) != 1 || sc.ConfigsAfter[0] != want {
		t.Errorf("configs after %+v, want %+v", sc.ConfigsAfter, want)
	}
	if cmd := sc.DockerCommand(); !strings.Contains(cmd, "--config-rm nginx.conf --config-add source=web_nginx.conf_v1,target=/etc/nginx/nginx.conf,uid=101,gid=101,mode=0440 web") ||
		!strings.Contains(cmd, "--secret-add source=web_db_password_v2") {
		t.Errorf("command %q", cmd)
	}
	if err := Verify(p, &w.swarm, &w.source, nil); err != nil {
		t.Errorf("the plan is not what the source and the swarm make: %v", err)
	}
	// An edited plan mounting another config is refused by Remake.
	edited := *p
	edited.Services = slices.Clone(p.Services)
	edited.Services[0].ConfigsAfter = []FileRef{{Name: "evil", Target: "/etc/nginx/nginx.conf"}}
	if err := Verify(&edited, &w.swarm, &w.source, nil); err == nil || !strings.Contains(err.Error(), "configs service web would mount differ") {
		t.Errorf("an edited plan: %v", err)
	}
	// The source's file changed since: refused.
	w.source.Configs[0].ETag = "etag-2"
	if err := Verify(p, &w.swarm, &w.source, nil); err == nil || !strings.Contains(err.Error(), "changed since plan") {
		t.Errorf("a changed config file: %v", err)
	}
}

func TestApplyRotatesAConfig(t *testing.T) {
	w := configWorld()
	f := newFakeSwarm(w)
	p := planFor(t, w)
	res, err := Apply(context.Background(), applyInput(w, f, p))
	if err != nil {
		t.Fatal(err)
	}
	// The secret the file declares and the config: made, then ONE update.
	if got := strings.Join(f.calls, "; "); got != "create web_db_password_v1 fp=true plan=p-1; create config web_nginx.conf_v1 sha=true driver= plan=p-1; update web" {
		t.Errorf("calls %s", got)
	}
	if r := f.services["svc-web"].Spec.Configs; len(r) != 1 || r[0].ID != "newcfg2" || r[0].Mode != 0o440 || r[0].UID != "101" {
		t.Errorf("web mounts %+v", r)
	}
	if !strings.Contains(res.Summary, "1 secret and 1 config created, 1 services updated and verified") {
		t.Errorf("summary %q", res.Summary)
	}
}

// TestApplyConfigFailureIsUndone: Docker says completed but the tasks
// still mount the old config (the plan changes nothing else): not verified,
// rolled back, and the new config removed.
func TestApplyConfigFailureIsUndone(t *testing.T) {
	w := configWorld()
	w.source.Files = nil // the config alone
	f := newFakeSwarm(w)
	f.script["web"] = &rollout{oldTasks: true}
	in := applyInput(w, f, planFor(t, w))
	in.Options.Timeout = 20 * 1e6
	_, err := Apply(context.Background(), in)
	var ae *ApplyError
	if !errors.As(err, &ae) {
		t.Fatalf("err %v", err)
	}
	if !strings.Contains(ae.Err.Error(), "0/1 tasks running with the new secrets and configs") || fmt.Sprint(ae.Result.ConfigsRemoved) != "[web_nginx.conf_v1]" ||
		ae.Result.Services["web"] != "rolled-back" {
		t.Errorf("err %v; result %+v", ae.Err, ae.Result)
	}
	if r := f.services["svc-web"].Spec.Configs; len(r) != 1 || r[0].Name != "nginx.conf" {
		t.Errorf("web mounts %+v after the undo", r)
	}
	if _, ok := f.configs["newcfg1"]; ok {
		t.Error("the new config stays")
	}
}

func findKind(r *DriftReport, k Kind) *Finding {
	for i := range r.Findings {
		if r.Findings[i].Kind == k {
			return &r.Findings[i]
		}
	}
	return nil
}

// halfDone is configWorld after a kill -9 of plan p-1: web_nginx.conf_v1
// was made (labelled with the plan), the service not updated yet.
func halfDone() *world {
	w := configWorld()
	w.source.Files = nil
	data := string(w.source.Configs[0].Data)
	w.config("web_nginx.conf_v1", data, LabelLogical, "web_nginx.conf", LabelVersion, "1", LabelSHA256, ConfigSHA256([]byte(data)), LabelPlan, "p-1")
	return w
}

// TestResumeAndRevertOfAConfig: a plan killed after it made a config is
// finished by a resume (the config mounted, nothing made twice) or undone
// by a revert (the service back on what its previous spec mounted, the
// config removed) — each through apply.
func TestResumeAndRevertOfAConfig(t *testing.T) {
	w := halfDone()
	w.source.Manifest = w.man
	in := PlanInput{Drift: w.drift(), Swarm: &w.swarm, Source: &w.source, ID: "p-2", Now: t0}
	p, err := NewResumePlan(in, "p-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.ConfigCreates) != 0 || len(p.Services) != 1 || p.Services[0].ConfigsAfter[0].ID != "cfg-web_nginx.conf_v1" {
		t.Fatalf("resume: creates %+v, services %+v", p.ConfigCreates, p.Services)
	}

	// Revert, once the service mounts it: back to nginx.conf (its previous
	// spec), the plan's config removed.
	w = halfDone()
	svc := w.last()
	prev := svc.Spec
	svc.Previous = &prev
	svc.Spec.Configs = []FileRef{{ID: "cfg-web_nginx.conf_v1", Name: "web_nginx.conf_v1", Target: "/etc/nginx/nginx.conf", UID: "101", GID: "101", Mode: 0o440}}
	r, err := NewRevertPlan(&w.swarm, &w.source, "p-1", "p-3", t0)
	if err != nil {
		t.Fatal(err)
	}
	if want := []FileRef{{ID: "cfg-nginx.conf", Name: "nginx.conf", Target: "/etc/nginx/nginx.conf", UID: "101", GID: "101", Mode: 0o440}}; len(r.Services) != 1 || !slices.Equal(r.Services[0].ConfigsAfter, want) {
		t.Fatalf("revert: %+v", r.Services)
	}
	if len(r.Removes) != 1 || !r.Removes[0].Config || r.Removes[0].Name != "web_nginx.conf_v1" {
		t.Fatalf("revert removes %+v", r.Removes)
	}
	if err := Verify(r, &w.swarm, &w.source, nil); err != nil {
		t.Fatalf("the revert is not what the swarm justifies: %v", err)
	}
	f := newFakeSwarm(w)
	if _, err := Apply(context.Background(), applyInput(w, f, r)); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.calls, "; "); got != "update web; services; remove config web_nginx.conf_v1" {
		t.Errorf("calls %s", got)
	}
	if _, ok := f.configs["cfg-web_nginx.conf_v1"]; ok {
		t.Error("the plan's config stays")
	}

	// A plan file may not make apply remove a config the swarm does not
	// justify: one not made by the plan reverted.
	r.Removes[0].ID, r.Removes[0].Name = "cfg-nginx.conf", "nginx.conf"
	if err := justifyRemovals(r, &w.swarm); err == nil || !strings.Contains(err.Error(), "config nginx.conf, which is not a version") {
		t.Errorf("an unjustified config removal: %v", err)
	}
}

// TestPlanPrunesOldConfigVersions: the versions older than the one mounted
// and --keep previous ones go, unless a previous spec names them.
func TestPlanPrunesOldConfigVersions(t *testing.T) {
	w := newWorld().service("api").managedConfig("api_app.yml", 1, "a: 0\n").managedConfig("api_app.yml", 2, "a: 1\n").
		mountConfig("api_app.yml_v2", "/app.yml", "0", "0", 0o444).configFile("api", "app.yml", "a: 2\n")
	w.swarm.ClusterID = "c1"
	p := planFor(t, w)
	if fmt.Sprint(p.Removes) != fmt.Sprint([]SecretRemoval{{ID: "cfg-api_app.yml_v1", Name: "api_app.yml_v1", Logical: "api_app.yml", Why: RemovePrune, Config: true}}) {
		t.Fatalf("removes %+v", p.Removes)
	}
	if err := justifyRemovals(p, &w.swarm); err != nil {
		t.Errorf("a prune of an old version is justified: %v", err)
	}
	// Another service's previous spec names v1: kept. (api's own previous
	// spec is replaced by its update, so it does not count.)
	w.service("batch").last().Previous = &ServiceSpec{Configs: []FileRef{{ID: "cfg-api_app.yml_v1", Name: "api_app.yml_v1", Target: "/app.yml"}}}
	if p := planFor(t, w); len(p.Removes) != 0 {
		t.Errorf("a version a previous spec names is pruned: %+v", p.Removes)
	}
}
