package stack

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/secretdeck/secretdeck/model"
)

// refsOf writes a service's references one per line as "key name target
// uid:gid mode @line", to compare with a table.
func refsOf(refs []Ref) string {
	var b strings.Builder
	for _, r := range refs {
		if r.Runtime {
			fmt.Fprintf(&b, "%s %s runtime @%d\n", r.Key, r.Name, r.Line)
			continue
		}
		fmt.Fprintf(&b, "%s %s %s %s:%s %o @%d\n", r.Key, r.Name, r.Target, r.UID, r.GID, r.Mode, r.Line)
	}
	return b.String()
}

// defsOf writes definitions one per line as "key name naming [external]
// [file=…] [path=…] @line".
func defsOf(defs []Definition) string {
	var b strings.Builder
	for _, d := range defs {
		fmt.Fprintf(&b, "%s %s %s", d.Key, d.Name, d.Naming)
		if d.NameVariable {
			b.WriteString(" variable")
		}
		if d.External {
			b.WriteString(" external")
		}
		if d.File != "" {
			fmt.Fprintf(&b, " file=%s path=%s", d.File, d.FilePath)
		}
		if d.Driver != "" {
			fmt.Fprintf(&b, " driver=%s", d.Driver)
		}
		fmt.Fprintf(&b, " @%d\n", d.Line)
	}
	return b.String()
}

func mustParse(t *testing.T, data string, env map[string]string) *File {
	t.Helper()
	f, err := Parse("shop", "stacks/shop.yml", []byte(data), env)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return f
}

// The names are those docker stack deploy creates and looks up. They were
// compared with what docker's convert package makes of the same files
// (convert.Secrets, convert.Configs, and convert.Services with a fake
// engine), for testdata/*.yml and three minutes of fuzzed files, in a
// scratch module: importing convert here would pull the docker CLI's
// command tree into this module.
func TestParseResolvesNamesAsDockerDoes(t *testing.T) {
	cases := []struct {
		name     string
		file     string
		env      map[string]string
		secrets  string // defsOf
		services map[string]string
	}{
		{
			name: "stack-created secrets are prefixed with the stack, external ones are not",
			file: `version: "3.8"
services:
  web:
    image: nginx
    secrets:
      - payment_key
      - db_password
secrets:
  payment_key:
    external: true
  db_password:
    file: ./db_password.txt
`,
			secrets: "db_password shop_db_password stack file=./db_password.txt path=stacks/db_password.txt @11\n" +
				"payment_key payment_key key external @9\n",
			services: map[string]string{"shop_web": "payment_key payment_key payment_key 0:0 444 @6\n" +
				"db_password shop_db_password db_password 0:0 444 @7\n"},
		},
		{
			name: "name: wins over the key and the stack prefix",
			file: `version: "3.8"
services:
  web:
    image: nginx
    secrets: [payment_key, db]
secrets:
  payment_key:
    external: true
    name: payment_key_v3
  db:
    name: db_v2
    file: /srv/db.txt
`,
			secrets: "db db_v2 name file=/srv/db.txt path=/srv/db.txt @10\n" +
				"payment_key payment_key_v3 name external @7\n",
			services: map[string]string{"shop_web": "payment_key payment_key_v3 payment_key 0:0 444 @5\n" +
				"db db_v2 db 0:0 444 @5\n"},
		},
		{
			name: "long syntax: target, uid, gid and mode; mode 0400 is octal as YAML reads it",
			file: `version: "3.8"
services:
  api:
    image: nginx
    secrets:
      - source: payment_key
        target: /etc/keys/payment
        uid: "1000"
        gid: "1001"
        mode: 0400
      - source: stats
        mode: 288
secrets:
  payment_key: {external: true}
  stats: {external: true}
`,
			secrets: "payment_key payment_key key external @14\nstats stats key external @15\n",
			services: map[string]string{"shop_api": "payment_key payment_key /etc/keys/payment 1000:1001 400 @6\n" +
				"stats stats stats 0:0 440 @11\n"},
		},
		{
			name: "variables: name from env, defaults; a mode from a variable is read as decimal, as docker does",
			file: `version: "3.8"
services:
  web:
    image: nginx:${TAG:-latest}
    secrets:
      - source: key
        target: ${TARGET:-key}
        mode: ${MODE}
secrets:
  key:
    external: true
    name: ${KEY_NAME:-key_v1}
`,
			env:      map[string]string{"KEY_NAME": "key_v7", "MODE": "0400"},
			secrets:  "key key_v7 name variable external @10\n",
			services: map[string]string{"shop_web": "key key_v7 key 0:0 620 @6\n"},
		},
		{
			name: "external.name, the deprecated spelling, names the secret",
			file: `version: "3.8"
services:
  web:
    image: nginx
    secrets: [old]
secrets:
  old:
    external:
      name: old_v2
`,
			secrets:  "old old_v2 external.name external @7\n",
			services: map[string]string{"shop_web": "old old_v2 old 0:0 444 @5\n"},
		},
		{
			name: "version 3.1, before name: existed",
			file: `version: "3.1"
services:
  web:
    image: nginx
    secrets:
      - source: a
        target: t
      - b
secrets:
  a:
    file: a.txt
  b:
    external:
      name: real_b
`,
			secrets: "a shop_a stack file=a.txt path=stacks/a.txt @10\nb real_b external.name external @12\n",
			services: map[string]string{"shop_web": "a shop_a t 0:0 444 @6\n" +
				"b real_b b 0:0 444 @8\n"},
		},
		{
			name: "merge keys and anchors: each service gets its own names and lines",
			file: `version: "3.9"
x-common: &common
  image: nginx
  secrets:
    - source: pk
      target: payment_key
services:
  web:
    <<: *common
  worker:
    <<: *common
    secrets:
      - pk
secrets:
  pk:
    name: pk_v3
    external: true
`,
			secrets: "pk pk_v3 name external @15\n",
			services: map[string]string{
				"shop_web":    "pk pk_v3 payment_key 0:0 444 @5\n",
				"shop_worker": "pk pk_v3 pk 0:0 444 @13\n",
			},
		},
		{
			name: "a driver secret has no file",
			file: `version: "3.8"
services:
  web:
    image: nginx
    secrets: [v]
secrets:
  v:
    driver: vault
`,
			secrets:  "v shop_v stack driver=vault @7\n",
			services: map[string]string{"shop_web": "v shop_v v 0:0 444 @5\n"},
		},
		{
			name: "no version: the newest 3.x",
			file: `services:
  web:
    image: nginx
    secrets: [x]
secrets:
  x:
    name: x_v1
    file: ./x
`,
			secrets:  "x x_v1 name file=./x path=stacks/x @6\n",
			services: map[string]string{"shop_web": "x x_v1 x 0:0 444 @4\n"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := mustParse(t, c.file, c.env)
			if got := defsOf(f.Secrets); got != c.secrets {
				t.Errorf("secrets:\n%s\nwant:\n%s", got, c.secrets)
			}
			if len(f.Services) != len(c.services) {
				t.Errorf("%d services, want %d", len(f.Services), len(c.services))
			}
			for name, want := range c.services {
				svc := f.Service(name)
				if svc == nil {
					t.Errorf("no service %s", name)
					continue
				}
				if got := refsOf(svc.Secrets); got != want {
					t.Errorf("%s:\n%s\nwant:\n%s", name, got, want)
				}
			}
		})
	}
}

func TestParseConfigs(t *testing.T) {
	f := mustParse(t, `version: "3.8"
services:
  web:
    image: nginx
    configs:
      - nginx_conf
      - source: site
        target: /etc/nginx/site.conf
        mode: 0440
    credential_spec:
      config: gmsa
configs:
  nginx_conf:
    file: ./nginx.conf
  site:
    name: site_v4
    file: site.conf
  gmsa:
    external: true
`, nil)
	if got, want := defsOf(f.Configs), "gmsa gmsa key external @18\n"+
		"nginx_conf shop_nginx_conf stack file=./nginx.conf path=stacks/nginx.conf @13\n"+
		"site site_v4 name file=site.conf path=stacks/site.conf @15\n"; got != want {
		t.Errorf("configs:\n%s\nwant:\n%s", got, want)
	}
	want := "nginx_conf shop_nginx_conf nginx_conf 0:0 444 @6\n" +
		"site site_v4 /etc/nginx/site.conf 0:0 440 @7\n" +
		"gmsa gmsa runtime @10\n"
	if got := refsOf(f.Service("shop_web").Configs); got != want {
		t.Errorf("refs:\n%s\nwant:\n%s", got, want)
	}
}

// What docker stack deploy refuses is refused, at the line that says why.
func TestParseRefusesWhatDockerRefuses(t *testing.T) {
	const head = "version: \"3.8\"\nservices:\n  web:\n    image: nginx\n"
	cases := []struct {
		name string
		file string
		line int
		msg  string
	}{
		{"undefined secret", head + "    secrets: [a, nope]\nsecrets:\n  a: {external: true}\n",
			5, `service "web" uses secret "nope", which the file does not define under secrets:`},
		{"undefined config", head + "    configs:\n      - source: nope\n",
			6, `service "web" uses config "nope", which the file does not define under configs:`},
		{"two secrets at one target", head + "    secrets:\n      - a\n      - source: b\n        target: a\nsecrets:\n  a: {external: true}\n  b: {external: true}\n",
			7, `service "web" mounts two secrets at one target (first on line 6)`},
		{"name and external.name", "version: \"3.8\"\nsecrets:\n  a:\n    name: x\n    external:\n      name: y\n",
			3, `secret "a" has both name: and external.name: (keep name:)`},
		{"unknown property", head + "    secrets: [a]\nsecrets:\n  a:\n    external: true\n    nmae: a_v2\n",
			9, `secrets.a: additional property 'nmae' is not allowed`},
		{"wrong type", head + "    secrets: 12\n",
			5, `services.web.secrets: must be a list`},
		{"name: before version 3.5", "version: \"3.4\"\nsecrets:\n  a:\n    file: x\n    name: a_v2\n",
			5, `secrets.a: additional property 'name' is not allowed`},
		{"unsupported version", "version: \"2.4\"\nservices:\n  web:\n    image: nginx\n",
			1, "docker stack deploy does not support this compose file version (3.0 to 3.13)"},
		{"required variable", head + "    secrets: [a]\nsecrets:\n  a:\n    external: true\n    name: ${A_NAME:?set A_NAME to the version}\n",
			9, "the required variable A_NAME is not set (or empty)"},
		{"invalid variable", head + "    environment:\n      A: ${oops\n",
			6, "an invalid ${…} reference (write $$ for a literal $)"},
		{"variable of the wrong type", head + "    deploy:\n      replicas: ${N}\n",
			6, "services.web.deploy.replicas: a variable gives a value of the wrong type"},
		{"a value the loader cannot read", head + "    deploy:\n      resources:\n        limits:\n          memory: lots\n",
			0, "a service's Deploy.Resources.Limits.memory: a value docker stack deploy cannot read"},
		{"forbidden property", head + "    extends: other\n",
			0, "docker stack deploy does not support extends"},
		{"not a mapping", "- a\n- b\n", 1, "a stack file must be a mapping (services:, secrets:, …)"},
		{"empty", "# nothing\n", 0, "the stack file is empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("shop", "stacks/shop.yml", []byte(c.file), map[string]string{"N": "two"})
			var pe *model.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want a ParseError", err)
			}
			if pe.File != "stacks/shop.yml" || pe.Line != c.line || pe.Msg != c.msg {
				t.Errorf("got %s line %d %q\nwant line %d %q", pe.File, pe.Line, pe.Msg, c.line, c.msg)
			}
		})
	}
}

func TestParseRefusesBadStackNames(t *testing.T) {
	for _, name := range []string{"", "shop.prod", "-shop", "shop_", "sh op", strings.Repeat("s", 64), "shop\x1b[2J"} {
		_, err := Parse(name, "x.yml", []byte("services: {}\n"), nil)
		if err == nil || strings.Contains(err.Error(), "\x1b") {
			t.Errorf("stack %q: %v", name, err)
		}
	}
	for _, name := range []string{"shop", "Shop-2", "a_b", strings.Repeat("s", 63)} {
		if !ValidStackName(name) {
			t.Errorf("stack %q refused", name)
		}
	}
}

// env_file names files of the machine that deploys: the loader reads them,
// Parse does not (a FIFO or /dev/zero would never end).
func TestParseReadsNoEnvFile(t *testing.T) {
	f := mustParse(t, "version: \"3.8\"\nservices:\n  web:\n    image: nginx\n    env_file: [/dev/zero, /no/such/file]\n", nil)
	if f.Service("shop_web") == nil {
		t.Fatal("service lost")
	}
}

// The loader warns on stderr about deprecated spellings; under the terminal
// UI a stray line tears the screen, so Parse must stay silent. The check
// runs in a child process, whose stderr is the loader's.
func TestParseWritesNothingToStderr(t *testing.T) {
	if os.Getenv("STACK_PARSE_CHILD") == "1" {
		_, err := Parse("shop", "stacks/shop.yml", []byte(`version: "3.8"
services:
  web:
    image: nginx
    secrets: [a]
    volumes:
      - ~/data:/data
secrets:
  a:
    external:
      name: a_v1
configs:
  c:
    external:
      name: c_v1
networks:
  n:
    external:
      name: net
volumes:
  v:
    external:
      name: vol
`), nil)
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestParseWritesNothingToStderr$")
	cmd.Env = append(os.Environ(), "STACK_PARSE_CHILD=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v %s", err, out)
	}
	if stderr.Len() > 0 {
		t.Errorf("Parse wrote to stderr: %s", stderr.String())
	}
}
