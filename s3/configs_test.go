package s3

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/secretdeck/secretdeck/model"
)

// configTree is a source with configs: one per environment, one too large
// to be a config, and names that are not configs.
func configTree() map[string]string {
	return map[string]string{
		"web.json.prod":                    `{"db_password": "hunter2-db"}`,
		"configs/prod/web/nginx.conf":      "worker_processes 2;\n",
		"configs/prod/web/big.json":        strings.Repeat("x", model.MaxConfigSize+1),
		"configs/dev/web/nginx.conf":       "worker_processes 1;\n",
		"configs/prod/web/.hidden":         "no",
		"configs/prod/web/deeper/too.conf": "no",
	}
}

func checkConfigs(t *testing.T, snap *model.SourceSnapshot) {
	t.Helper()
	var keys []string
	for _, c := range snap.Configs {
		keys = append(keys, c.Key)
	}
	if strings.Join(keys, " ") != "configs/prod/web/big.json configs/prod/web/nginx.conf" {
		t.Fatalf("configs %q", keys)
	}
	big, nginx := snap.Configs[0], snap.Configs[1]
	if big.Err == nil || big.Data != nil || !strings.Contains(big.Err.Msg, "a swarm config must be at most 1024000") {
		t.Errorf("an oversize config is read or not said: %+v", big.Err)
	}
	if string(nginx.Data) != "worker_processes 2;\n" || nginx.Service != "web" || nginx.Env != "prod" || nginx.Version() == "" {
		t.Errorf("nginx.conf: %+v", nginx)
	}
	for _, bad := range []string{"configs/prod/web/.hidden", "configs/prod/web/deeper/too.conf"} {
		if !slices.Contains(snap.Ignored, bad) {
			t.Errorf("%s is not said to be ignored: %q", bad, snap.Ignored)
		}
	}
}

func TestConfigFilesFromAFolder(t *testing.T) {
	dir := t.TempDir()
	for k, v := range configTree() {
		p := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	src, err := Open(context.Background(), Options{URI: dir})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := src.Load(context.Background(), "prod")
	if err != nil {
		t.Fatal(err)
	}
	checkConfigs(t, snap)
}

func TestConfigFilesFromVersitygw(t *testing.T) {
	opts, srv := rigOptions(t, "")
	opts.URI = "s3://" + srv.NewBucket(t, configTree())
	src, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := src.Load(context.Background(), "prod")
	if err != nil {
		t.Fatal(err)
	}
	checkConfigs(t, snap)
	if snap.Configs[1].VersionID == "" && snap.Configs[1].ETag == "" {
		t.Error("a config file needs a version")
	}
}
