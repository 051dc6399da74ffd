package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/secretdeck/secretdeck/internal/leak"
	"github.com/secretdeck/secretdeck/internal/testrig"
	"github.com/secretdeck/secretdeck/model"
)

// config creates prefix+name holding data.
func (r *rigSwarm) config(name, data string) {
	r.t.Helper()
	res, err := r.api.ConfigCreate(context.Background(), client.ConfigCreateOptions{Spec: swarm.ConfigSpec{
		Annotations: swarm.Annotations{Name: r.prefix + name}, Data: []byte(data),
	}})
	if err != nil {
		r.t.Fatalf("create config %s: %v", name, err)
	}
	r.ids["config:"+r.prefix+name] = res.ID
}

// mountConfig adds config prefix+name at target (uid 1000, gid 1000, mode
// 0440) to service id, in one update.
func (r *rigSwarm) mountConfig(id, name, target string) {
	r.t.Helper()
	ctx := context.Background()
	res, err := r.api.ServiceInspect(ctx, id, client.ServiceInspectOptions{})
	if err != nil {
		r.t.Fatal(err)
	}
	spec := res.Service.Spec
	spec.TaskTemplate.ContainerSpec.Configs = append(spec.TaskTemplate.ContainerSpec.Configs, &swarm.ConfigReference{
		ConfigID: r.ids["config:"+r.prefix+name], ConfigName: r.prefix + name,
		File: &swarm.ConfigReferenceFileTarget{Name: target, UID: "1000", GID: "1000", Mode: os.FileMode(0o440)}})
	if _, err := r.api.ServiceUpdate(ctx, id, client.ServiceUpdateOptions{Version: res.Service.Version, Spec: spec}); err != nil {
		r.t.Fatal(err)
	}
}

// configRefs lists a service's config references as
// "name:target:uid:gid:mode" (the prefix cut).
func (r *rigSwarm) configRefs(id string) string {
	r.t.Helper()
	res, err := r.api.ServiceInspect(context.Background(), id, client.ServiceInspectOptions{})
	if err != nil {
		r.t.Fatal(err)
	}
	var out []string
	for _, c := range res.Service.Spec.TaskTemplate.ContainerSpec.Configs {
		out = append(out, fmt.Sprintf("%s:%s:%s:%s:%04o", strings.TrimPrefix(c.ConfigName, r.prefix), c.File.Name, c.File.UID, c.File.GID, c.File.Mode))
	}
	return strings.Join(out, " ")
}

// previousMounts names the secrets, then the configs, of a service's
// PreviousSpec (the prefix cut).
func (r *rigSwarm) previousMounts(id string) string {
	r.t.Helper()
	res, err := r.api.ServiceInspect(context.Background(), id, client.ServiceInspectOptions{})
	if err != nil {
		r.t.Fatal(err)
	}
	prev := res.Service.PreviousSpec
	if prev == nil {
		return ""
	}
	var out []string
	for _, s := range prev.TaskTemplate.ContainerSpec.Secrets {
		out = append(out, strings.TrimPrefix(s.SecretName, r.prefix))
	}
	for _, c := range prev.TaskTemplate.ContainerSpec.Configs {
		out = append(out, strings.TrimPrefix(c.ConfigName, r.prefix))
	}
	return strings.Join(out, " ")
}

func (r *rigSwarm) configExists(name string) bool {
	r.t.Helper()
	res, err := r.api.ConfigList(context.Background(), client.ConfigListOptions{Filters: client.Filters{}.Add("name", r.prefix+name)})
	if err != nil {
		r.t.Fatal(err)
	}
	for _, c := range res.Items {
		if c.Spec.Name == r.prefix+name {
			return true
		}
	}
	return false
}

// TestConfigRotationForReal: a config a service mounts differs from
// configs/prod/<service>/<file>: drift shows config-stale with its diff (the
// property file's value in the config masked); apply makes <service>_<file>_v1
// and swaps it in the SAME single update as the service's stale secret,
// keeping uid/gid/mode; the task reads the new bytes; drift is clean. Then a
// config that breaks the container is rolled back and the new config removed.
func TestConfigRotationForReal(t *testing.T) {
	srv := useRigS3(t)
	sw := newRigSwarm(t)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	p := sw.prefix
	keyBytes := bytes.Repeat([]byte{9}, model.FingerprintKeySize)
	key, _ := model.NewFingerprintKey(keyBytes)
	const dbPass, newPass = "cfg-Old-Pass-0001", "cfg-New-Pass-0002"
	sw.secret("web_db_pass_v1", dbPass, managedLabels(key, p+"web_db_pass", 1, dbPass))
	sw.config("app.conf", "mode = old\nuser = app\n")
	id := sw.runningService("web", []string{"ECHOAPP_DIR=/run", "ECHOAPP_FAIL_IF_CONTAINS=BROKEN"}, "web_db_pass_v1:db_pass:0:0:0400")
	sw.mountConfig(id, "app.conf", "/run/conf/app.conf")
	sw.waitRunning(id)
	newConf := "mode = new\nuser = app\n# the password, once in clear: " + newPass + "\n"
	bucket := srv.NewBucket(t, map[string]string{
		model.FingerprintKeyPath:             string(keyBytes),
		model.ManifestPath:                   "services:\n  " + p + "web:\n    configs:\n      app.conf: {target: /run/conf/app.conf}\n",
		p + "web.properties.prod":            "db_pass = " + newPass + "\n",
		"configs/prod/" + p + "web/app.conf": newConf,
	})
	args := []string{"--host", testrig.Docker(t), "--source", "s3://" + bucket, "--env", "prod"}

	fs := findings(t, args, p+"web", newPass, dbPass)
	var stale *model.Finding
	for i := range fs {
		if fs[i].Kind == model.KindConfigStale {
			stale = &fs[i]
		}
	}
	if stale == nil || stale.Config != p+"app.conf" || !strings.Contains(stale.Diff, "-mode = old\n+mode = new\n") || !strings.Contains(stale.Diff, model.Mask) {
		t.Fatalf("config-stale with a masked diff: %s\n%+v", kindsOf(fs), stale)
	}
	if !strings.Contains(kindsOf(fs), "stale db_pass"+p+"web_db_pass_v1") {
		t.Fatalf("the secret is stale too: %s", kindsOf(fs))
	}
	r := runCLI(t, append([]string{"drift"}, args...)...)
	leak.Check(t, "drift", r.all(), newPass, dbPass)
	if !strings.Contains(r.stdout, "│ -mode = old") {
		t.Errorf("drift shows the diff:\n%s", r.stdout)
	}

	r = runCLI(t, append([]string{"apply", "--yes", "--service", p + "web"}, args...)...)
	leak.Check(t, "apply", r.all(), newPass, dbPass)
	if r.code != 0 {
		t.Fatalf("apply: exit %d\n%s", r.code, r.all())
	}
	// ONE update for the secret and the config: its previous spec is the
	// spec before, with the old secret AND the old config (two updates would
	// leave one of the new ones in it).
	if got := sw.previousMounts(id); got != "web_db_pass_v1 app.conf" {
		t.Errorf("previous spec %q: not one update", got)
	}
	if got := sw.configRefs(id); got != "web_app.conf_v1:/run/conf/app.conf:1000:1000:0440" {
		t.Errorf("config refs after apply: %s", got)
	}
	if got := sw.spec(id); len(got) != 1 || got[0] != "web_db_pass_v2:db_pass:0:0:0400" {
		t.Errorf("secret refs after apply: %v", got)
	}
	sw.logsShow("web", fmt.Sprintf("file=/run/conf/app.conf size=%d mode=440 sha256=%s", len(newConf), sha(newConf)))
	if fs := findings(t, args, p+"web", newPass); len(fs) != 0 {
		t.Errorf("drift after apply: %s", kindsOf(fs))
	}

	// inspect config: the logical config's newest version, who mounts it,
	// its content with the source's value masked.
	r2 := runCLI(t, append([]string{"inspect", "config", p + "web_app.conf", "--json"}, args...)...)
	leak.Check(t, "inspect config", r2.all(), newPass)
	var cd model.ConfigDetail
	if err := json.Unmarshal([]byte(r2.stdout), &cd); err != nil {
		t.Fatalf("inspect config --json: %v\n%s", err, r2.all())
	}
	if cd.Config.Name != p+"web_app.conf_v1" || !cd.Managed || len(cd.Users) != 1 || cd.Users[0].Ref.Mode != 0o440 ||
		!strings.Contains(cd.Content, "# the password, once in clear: "+model.Mask) || !cd.SourceChecked {
		t.Errorf("inspect config: %+v", cd)
	}

	// Reverted: the secret and the config the plan made are gone, the
	// service is back on what it mounted before.
	m := regexp.MustCompile(`plan (p-[0-9]{8}-[0-9]{6}-[0-9a-f]{4}) applied`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no plan ID in:\n%s", r.stdout)
	}
	if r := runCLI(t, append([]string{"apply", "--yes", "--revert", m[1]}, args...)...); r.code != 0 {
		t.Fatalf("revert: exit %d\n%s", r.code, r.all())
	}
	if got := sw.configRefs(id); got != "app.conf:/run/conf/app.conf:1000:1000:0440" {
		t.Errorf("config refs after the revert: %s", got)
	}
	if got := sw.spec(id); len(got) != 1 || got[0] != "web_db_pass_v1:db_pass:0:0:0400" {
		t.Errorf("secret refs after the revert: %v", got)
	}
	if sw.configExists("web_app.conf_v1") || sw.secretExists("web_db_pass_v2") {
		t.Error("the reverted plan's config or secret stays")
	}

	// A config that breaks the container: rolled back, the new config removed.
	srv.Put(t, bucket, "configs/prod/"+p+"web/app.conf", "mode = BROKEN\n")
	r = runCLI(t, append([]string{"apply", "--yes", "--service", p + "web", "--timeout", "60s"}, args...)...)
	if r.code == 0 || !strings.Contains(r.all(), "rolled-back") {
		t.Fatalf("a breaking config: exit %d\n%s", r.code, r.all())
	}
	if got := sw.configRefs(id); got != "app.conf:/run/conf/app.conf:1000:1000:0440" {
		t.Errorf("config refs after the rollback: %s", got)
	}
	if sw.configExists("web_app.conf_v1") {
		t.Error("the config of the failed plan stays")
	}
}
