package configs_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/common"
	"github.com/secretdeck/secretdeck/tui/internal/tuitest"
	"github.com/secretdeck/secretdeck/tui/list"
	"github.com/secretdeck/secretdeck/tui/panes/configs"
	"github.com/secretdeck/secretdeck/tui/panes/secrets"
)

// withConfigs is the fixture with configs: api mounts nginx.conf, which holds
// the source's db_pass in clear and differs from configs/prod/api/nginx.conf;
// an older version nobody names; a templated one.
func withConfigs() *common.Data {
	d := tuitest.Data()
	created := tuitest.Now().Add(-48 * time.Hour)
	sw := d.Swarm
	sw.Configs = []model.Config{
		{ID: "c1", Name: "api_nginx.conf_v1", CreatedAt: created, Data: []byte("listen 80;\n"), Size: 11,
			Labels: map[string]string{model.LabelLogical: "api_nginx.conf", model.LabelVersion: "1"}},
		{ID: "c2", Name: "api_nginx.conf_v2", CreatedAt: created, Data: []byte("listen 81;\npassword hunter2-db-pass;\n"), Size: 36,
			Labels: map[string]string{model.LabelLogical: "api_nginx.conf", model.LabelVersion: "2"}},
		{ID: "c3", Name: "motd", CreatedAt: created, Data: []byte("Hello {{.Node.Hostname}}\n"), Size: 25, Templating: "golang"},
	}
	sw.Services[0].Spec.Configs = []model.FileRef{{ID: "c2", Name: "api_nginx.conf_v2", Target: "/nginx.conf", UID: "101", GID: "101", Mode: 0o440}}
	d.Source.Configs = []model.ConfigFile{{Key: "configs/prod/api/nginx.conf", Service: "api", Env: "prod", ETag: "e1", Data: []byte("listen 82;\n")}}
	return tuitest.Redrift(d)
}

func newPane(d *common.Data) (*list.Pane, *common.Common, *tuitest.Timers) {
	c, ts, _ := tuitest.NewCommon(120, 30)
	p := configs.New(c)
	p.SetSize(c.Width, c.Height)
	p.SetData(d)
	return p, c, ts
}

func TestRows(t *testing.T) {
	p, _, _ := newPane(withConfigs())
	tuitest.AssertRows(t, tuitest.Screen(p),
		"api_nginx.conf_v1 api_nginx.conf 1 11 0 2d low",  // an old version nothing names: config-orphan
		"api_nginx.conf_v2 api_nginx.conf 2 36 1 2d high", // stale, and holds a value in clear
		"motd (tmpl) motd 0 25 0 2d -",
	)
}

// TestDetail: the content shows with the source's value masked, who
// mounts it, and the findings; never the value.
func TestDetail(t *testing.T) {
	p, _, ts := newPane(withConfigs())
	tuitest.Press(p, ts, "down", "enter")
	s := tuitest.Screen(p)
	for _, want := range []string{"Config       api_nginx.conf_v2 (c2)", "api  ", "/nginx.conf  101:101 0440", "config-exposure", "config-stale", "│ password " + model.Mask + ";"} {
		if !strings.Contains(s, want) {
			t.Errorf("the detail lacks %q:\n%s", want, s)
		}
	}
	tuitest.AssertNoValues(t, s)
	if strings.Contains(s, "hunter2-db-pass") {
		t.Errorf("the detail shows a value:\n%s", s)
	}
}

func TestStageKeys(t *testing.T) {
	p, _, ts := newPane(withConfigs())
	got := tuitest.Press(p, ts, "down", "space")
	if fmt.Sprint(got) != fmt.Sprint([]any{common.StageMsg{Kind: common.StageLogical, Key: "api_nginx.conf", On: true}}) {
		t.Fatalf("space stages the logical config: %v", got)
	}
	// Staged, the config's findings are what a plan fixes.
	c := common.NewStaging()
	c.Apply(common.StageMsg{Kind: common.StageLogical, Key: "api_nginx.conf", On: true})
	var fixed []string
	for _, f := range withConfigs().Findings() {
		if c.Selects(f) {
			fixed = append(fixed, string(f.Kind))
		}
	}
	if fmt.Sprint(fixed) != "[config-stale]" {
		t.Errorf("staging the logical config selects %v", fixed)
	}
}

// bigConfigs is n configs and n secrets, each config and secret mounted by
// one of n/10 services.
func bigConfigs(n int) *common.Data {
	d := tuitest.Data()
	sw := d.Swarm
	sw.Secrets, sw.Services, sw.Configs = nil, nil, nil
	for i := range n {
		sw.Secrets = append(sw.Secrets, model.Secret{ID: fmt.Sprint("s", i), Name: fmt.Sprintf("service_%04d_key_%d_v1", i/10, i%10), CreatedAt: tuitest.Now()})
		data := []byte(fmt.Sprintf("setting_%d = %d\n", i, i))
		sw.Configs = append(sw.Configs, model.Config{ID: fmt.Sprint("c", i), Name: fmt.Sprintf("service_%04d_conf_%d_v1", i/10, i%10), CreatedAt: tuitest.Now(), Data: data, Size: len(data)})
	}
	for i := range n / 10 {
		svc := model.Service{ID: fmt.Sprint("v", i), Name: fmt.Sprintf("service_%04d", i), Mode: "replicated"}
		for j := range 10 {
			s, c := sw.Secrets[i*10+j], sw.Configs[i*10+j]
			svc.Spec.Secrets = append(svc.Spec.Secrets, model.FileRef{ID: s.ID, Name: s.Name, Target: fmt.Sprint("key_", j)})
			svc.Spec.Configs = append(svc.Spec.Configs, model.FileRef{ID: c.ID, Name: c.Name, Target: fmt.Sprint("/conf_", j)})
		}
		sw.Services = append(sw.Services, svc)
	}
	return tuitest.Redrift(d)
}

// BenchmarkRows builds the rows of 1,000 configs and of 1,000 secrets: the
// Configs pane must list as fast as the Secrets pane.
func BenchmarkRows(b *testing.B) {
	d := bigConfigs(1000)
	for name, pane := range map[string]func(*common.Common) *list.Pane{"configs=1000": configs.New, "secrets=1000": secrets.New} {
		b.Run(name, func(b *testing.B) {
			c, _, _ := tuitest.NewCommon(120, 40)
			p := pane(c)
			p.SetSize(c.Width, c.Height)
			b.ReportAllocs()
			for b.Loop() {
				p.SetData(d)
				_ = p.View()
			}
		})
	}
}

// TestStagingAConfigMadeOutsideSecretdeck: staging a config whose place the
// source gives to another logical config stages that one.
func TestStagingAConfigMadeOutsideSecretdeck(t *testing.T) {
	d := withConfigs()
	d.Swarm.Configs = append(d.Swarm.Configs, model.Config{ID: "c4", Name: "proxy_conf", Data: []byte("old\n"), Size: 4})
	d.Swarm.Services[3].Spec.Configs = []model.FileRef{{ID: "c4", Name: "proxy_conf", Target: "/etc/haproxy.cfg", UID: "0", GID: "0", Mode: 0o444}}
	d.Source.Configs = append(d.Source.Configs, model.ConfigFile{Key: "configs/prod/proxy/haproxy.cfg", Service: "proxy", Env: "prod", Data: []byte("new\n")})
	d.Source.Manifest = &model.Manifest{Services: map[string]model.ServicePolicy{"proxy": {Configs: map[string]model.ConfigPolicy{"haproxy.cfg": {Target: "/etc/haproxy.cfg"}}}}}
	p, _, ts := newPane(tuitest.Redrift(d))
	got := tuitest.Press(p, ts, "end", "space")
	if fmt.Sprint(got) != fmt.Sprint([]any{common.StageMsg{Kind: common.StageLogical, Key: "proxy_haproxy.cfg", On: true}}) {
		t.Fatalf("space on proxy_conf stages %v", got)
	}
}
