package cli

import (
	"bufio"
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// initBudget is the most one package's init may take, in milliseconds of
// wall clock (what GODEBUG=inittrace=1 reports). The goal is 1 ms: every
// command, `version` included, runs every init of the binary before main.
// The slowest we keep, github.com/distribution/reference (the engine
// client's, compiling its grammar's regular expressions), takes 0.8-1.0 ms
// on an idle 2-core machine; the budget doubles the goal so that a CI box
// running other test packages at the same time does not fail it, while an
// init that builds tables (go-runewidth v0.0.27 took 30 ms) still does.
const initBudget = 2.0

// initAllowed names inits over the budget that secretdeck cannot avoid, with
// their own budget (about three times what they take on an idle machine),
// so that they do not grow unnoticed either.
var initAllowed = map[string]float64{
	// Compiles the JSON Schema meta-schemas of five drafts in its init
	// (4 ms, 1.7 MB). It comes with docker/cli's compose loader, which
	// reads stack files exactly as `docker stack deploy` does; no served
	// version does this lazily.
	"github.com/santhosh-tekuri/jsonschema/v6": 12,
}

// initRuns bounds how often the binary is started: a package's time is the
// least it took over the runs, since being preempted only adds to a wall
// clock; the test stops as soon as every package is within its budget.
const initRuns = 10

// TestStartupHasNoSlowInit starts the built binary with
// GODEBUG=inittrace=1 and fails when a package's init takes longer than
// its budget in every run.
func TestStartupHasNoSlowInit(t *testing.T) {
	bin := builtBinary(t)
	best := map[string]float64{}
	var over []string
	for run := 0; run < initRuns; run++ {
		cmd := exec.Command(bin, "version")
		cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("secretdeck version: %v\n%s", err, stderr.String())
		}
		inits := parseInitTrace(stderr.String())
		if len(inits) == 0 {
			t.Skip("GODEBUG=inittrace=1 printed no init trace with this Go toolchain")
		}
		for pkg, ms := range inits {
			if b, ok := best[pkg]; !ok || ms < b {
				best[pkg] = ms
			}
		}
		over = overBudget(best)
		if len(over) == 0 {
			break
		}
	}
	total := 0.0
	for _, ms := range best {
		total += ms
	}
	t.Logf("%d package inits, %.1f ms in all (least of each over the runs)", len(best), total)
	if len(over) > 0 {
		t.Errorf("init over budget in each of %d runs (GODEBUG=inittrace=1 secretdeck version):\n%s",
			initRuns, strings.Join(over, "\n"))
	}
}

// overBudget lists the packages whose best time is over their budget, slowest first.
func overBudget(best map[string]float64) []string {
	var pkgs []string
	for pkg, ms := range best {
		budget, ok := initAllowed[pkg]
		if !ok {
			budget = initBudget
		}
		if ms > budget {
			pkgs = append(pkgs, pkg)
		}
	}
	sort.Slice(pkgs, func(i, j int) bool { return best[pkgs[i]] > best[pkgs[j]] })
	lines := make([]string, len(pkgs))
	for i, pkg := range pkgs {
		lines[i] = "  " + pkg + ": " + strconv.FormatFloat(best[pkg], 'f', 2, 64) + " ms"
	}
	return lines
}

// parseInitTrace reads lines like
// "init github.com/x/y @2.6 ms, 31 ms clock, 18776 bytes, 44 allocs"
// into package → milliseconds of clock.
func parseInitTrace(trace string) map[string]float64 {
	inits := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(trace))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 7 || f[0] != "init" || f[5] != "ms" || f[6] != "clock," {
			continue
		}
		ms, err := strconv.ParseFloat(f[4], 64)
		if err != nil {
			continue
		}
		inits[f[1]] += ms
	}
	return inits
}

func TestParseInitTrace(t *testing.T) {
	got := parseInitTrace("init runtime @0.030 ms, 1.3 ms clock, 0 bytes, 0 allocs\n" +
		"secretdeck dev\n" +
		"init github.com/mattn/go-runewidth @2.6 ms, 31 ms clock, 18776 bytes, 44 allocs\n")
	if len(got) != 2 || got["runtime"] != 1.3 || got["github.com/mattn/go-runewidth"] != 31 {
		t.Fatalf("parsed %v", got)
	}
}

// TestNoKeyServiceSDKIsLinked: SOPS files are read by secretdeck's own
// age-only reader (internal/sopsfile). The sops library would link every
// key service's SDK — 300 more packages initialised at every start, a
// binary three times the size — and read /etc/sops/audit.yaml at start.
func TestNoKeyServiceSDKIsLinked(t *testing.T) {
	bin := builtBinary(t)
	out, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	for _, mod := range []string{
		"github.com/getsops/sops", "cloud.google.com/go", "google.golang.org/grpc",
		"github.com/hashicorp/vault", "github.com/ProtonMail/go-crypto", "github.com/aws/aws-sdk-go-v2/service/kms",
	} {
		if bytes.Contains(out, []byte("\tdep\t"+mod)) || bytes.Contains(out, []byte("\t=> "+mod)) {
			t.Errorf("%s is linked into secretdeck", mod)
		}
	}
}

// TestNoPatternCompiledAtStart: no package of secretdeck's own that the
// binary links compiles a regular expression in a package-level variable
// (internal/lazyre compiles one when first used). Each took 50-100 µs of
// every start, `version` included, used or not; the timed test above
// cannot see a dozen of them, each under its budget.
func TestNoPatternCompiledAtStart(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f",
		`{{if .Module}}{{if eq .Module.Path "github.com/secretdeck/secretdeck"}}{{.Dir}}{{range .GoFiles}} {{.}}{{end}}{{"\n"}}{{end}}{{end}}`,
		"github.com/secretdeck/secretdeck").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var found []string
	files := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		for _, name := range fields[1:] {
			files++
			path := filepath.Join(fields[0], name)
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			for _, decl := range f.Decls {
				gen, ok := decl.(*ast.GenDecl)
				if !ok || gen.Tok != token.VAR {
					continue
				}
				ast.Inspect(gen, func(n ast.Node) bool {
					if _, lit := n.(*ast.FuncLit); lit {
						return false // runs when called, not at start
					}
					if sel, ok := n.(*ast.SelectorExpr); ok {
						if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "regexp" && strings.HasSuffix(sel.Sel.Name, "Compile") {
							found = append(found, path+": "+sel.Sel.Name)
						}
					}
					return true
				})
			}
		}
	}
	if files < 100 {
		t.Fatalf("go list named %d files of secretdeck's own: the listing is wrong", files)
	}
	if len(found) > 0 {
		t.Errorf("package-level regexp compiled at every start (use internal/lazyre):\n%s", strings.Join(found, "\n"))
	}
}
