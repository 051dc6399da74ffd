package model

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func describeVars(vs []BuildVar) string {
	var out []string
	for _, v := range vs {
		s := v.Instruction + " " + v.Name
		if v.HasValue {
			s += "=" + v.Value.Reveal()
		}
		out = append(out, s)
	}
	return strings.Join(out, "; ")
}

// What both of Docker's builders write into CreatedBy, as `docker history
// --no-trunc` shows it (the classic lines were taken from the rig's engine).
func TestParseCreatedBy(t *testing.T) {
	cases := []struct{ in, want string }{
		{"|1 NPM_TOKEN=probe-value-123 /app", "RUN NPM_TOKEN=probe-value-123"},
		{"|2 NPM_TOKEN=abc OTHER=x y /bin/sh -c npm ci", "RUN NPM_TOKEN=abc; RUN OTHER=x"},
		{"|2 GREETING=hello world NPM_TOKEN=abc /bin/sh -c true", "RUN GREETING=hello world; RUN NPM_TOKEN=abc"},
		{"RUN |1 NPM_TOKEN=abc /bin/sh -c npm ci # buildkit", "RUN NPM_TOKEN=abc"},
		{"|1 EMPTY= /bin/sh -c true", "RUN EMPTY="},
		{"/bin/sh -c #(nop)  ARG NPM_TOKEN", "ARG NPM_TOKEN"},
		{"/bin/sh -c #(nop)  ARG NPM_TOKEN=default-tok", "ARG NPM_TOKEN=default-tok"},
		{"/bin/sh -c #(nop)  ENV ECHOAPP_ONCE=1 ECHOAPP_DIR=/nonexistent", "ENV ECHOAPP_ONCE=1; ENV ECHOAPP_DIR=/nonexistent"},
		{"ENV DB_PASSWORD=\"two words\" MODE=prod", "ENV DB_PASSWORD=two words; ENV MODE=prod"},
		{"ENV JAVA_OPTS=-Xmx1g -Dfoo=bar", "ENV JAVA_OPTS=-Xmx1g -Dfoo=bar"},
		{"ENV LEGACY some value", "ENV LEGACY=some value"},
		{"ARG A B=2", "ARG A; ARG B=2"},
		// Nothing to read: other instructions, broken counts, no names.
		{"/bin/sh -c #(nop)  CMD [\"/app\"]", ""},
		{"/bin/sh -c apt-get install -y curl", ""},
		{"|x NPM_TOKEN=a /bin/sh", ""},
		{"|0 NPM_TOKEN=a /bin/sh", ""},
		{"|1 =a /bin/sh", ""},
		{"|", ""},
		{"", ""},
		{"ENV =x", ""},
	}
	for _, c := range cases {
		if got := describeVars(ParseCreatedBy(NewValueString(c.in))); got != c.want {
			t.Errorf("ParseCreatedBy(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// A history entry holds at most maxBuildVars variables as read: whoever
// builds the image decides how many it has.
func TestParseCreatedByIsBounded(t *testing.T) {
	var pairs, env []string
	for i := range 1000 {
		pairs = append(pairs, fmt.Sprintf("A%d=%d", i, i))
		env = append(env, fmt.Sprintf("E%d=x", i))
	}
	for _, s := range []string{"|1000 " + strings.Join(pairs, " ") + " /bin/sh -c true", "ENV " + strings.Join(env, " "), "ARG " + strings.Join(env, " ")} {
		if n := len(ParseCreatedBy(NewValueString(s))); n != maxBuildVars {
			t.Errorf("%.20s…: %d vars, want the bound %d", s, n, maxBuildVars)
		}
	}
	// Only the first maxCreatedBy bytes are read…
	long := "ENV A=" + strings.Repeat("x", maxCreatedBy) + " SECRET_TOKEN=abcdefgh"
	if vars := ParseCreatedBy(NewValueString(long)); len(vars) != 1 || vars[0].Name != "A" {
		t.Errorf("past the bound: %q", describeVars(vars)[:20])
	}
	// …in time proportional to them: spaces and words without = at length.
	start := time.Now()
	for _, s := range []string{"ENV A=" + strings.Repeat("a ", maxCreatedBy/2), "|2 A=" + strings.Repeat(" b", maxCreatedBy/2), "ENV A=x" + strings.Repeat(" ", maxCreatedBy/2) + "y"} {
		ParseCreatedBy(NewValueString(s))
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("64 KiB of words took %v", took)
	}
}

// FuzzParseCreatedBy: whoever builds an image writes its history. The
// parser never panics, stays within its bounds, and returns only names and
// values that are in the input.
func FuzzParseCreatedBy(f *testing.F) {
	for _, s := range []string{"|1 NPM_TOKEN=x /app", "|3 A=1 B=2 3 C=4 /bin/sh -c x", "RUN |1 A=b c # buildkit",
		"/bin/sh -c #(nop)  ENV A=1 B=2", "ARG X", "ENV K v v", "|99999999999999999999 A=1", "|2 A= B=", "ENV A=\"\" B='x'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		vars := ParseCreatedBy(NewValueString(s))
		if len(vars) > maxBuildVars {
			t.Fatalf("%d vars, bound is %d", len(vars), maxBuildVars)
		}
		for _, v := range vars {
			if !validVarName(v.Name) || !strings.Contains(s, v.Name) {
				t.Fatalf("name %q not read from the input", v.Name)
			}
			if v.HasValue && !strings.Contains(s, v.Value.Reveal()) {
				t.Fatalf("value of %s not read from the input", v.Name)
			}
			if !v.HasValue && v.Value.Len() != 0 {
				t.Fatalf("%s has a value without HasValue", v.Name)
			}
		}
	})
}

// image adds an image the engine holds, with its history, newest first.
func (w *world) image(name string, createdBy ...string) *world {
	img := ImageHistory{Image: name, Held: true, ID: "sha256:" + strings.Repeat("ab", 32)}
	for i, c := range createdBy {
		id := "<missing>"
		if i == 0 {
			id = img.ID
		}
		img.Layers = append(img.Layers, ImageLayer{ID: id, CreatedBy: NewValueString(c)})
	}
	w.images = append(w.images, img)
	return w
}

func (w *world) runs(image string) *world {
	w.last().Spec.Image = image
	return w
}

func imageFindings(r *DriftReport) []string {
	out := []string{}
	for _, f := range r.Findings {
		if f.Image != "" {
			out = append(out, fmt.Sprintf("%s %s %s %s layer %d key %s file %s", f.Kind, f.Severity, f.Service, f.Image, f.Layer, f.Key, f.File))
		}
	}
	return out
}

func TestImageHistoryExposure(t *testing.T) {
	const token = "npm_0123456789abcdef" // a source value
	base := func() *world {
		return newWorld().file("web.properties.prod", "web", "npm.token="+token, "mode=prod").service("web").runs("shop/web:1")
	}
	cases := []struct {
		name string
		w    *world
		want []string
	}{
		{"a build arg holding a source value: high, naming image, entry and arg",
			base().image("shop/web:1", `/bin/sh -c #(nop)  CMD ["/app"]`, "|1 NPM_TOKEN="+token+" /bin/sh -c npm ci", "/bin/sh -c #(nop)  ARG NPM_TOKEN"),
			[]string{"image-history-exposure high web shop/web:1 layer 2 key NPM_TOKEN file web.properties.prod"}},
		{"the same value under an innocent name is still found",
			base().image("shop/web:1", "|1 CACHE_BUST="+token+" /bin/sh -c true"),
			[]string{"image-history-exposure high web shop/web:1 layer 1 key CACHE_BUST file web.properties.prod"}},
		{"an ENV holding a source value (BuildKit's form)",
			base().image("shop/web:1", "ENV REGISTRY_AUTH="+token+" MODE=production"),
			[]string{"image-history-exposure high web shop/web:1 layer 1 key REGISTRY_AUTH file web.properties.prod"}},
		{"a credential-like name with a literal: medium",
			base().image("shop/web:1", "RUN |1 GITHUB_TOKEN=ghp_notinthesource /bin/sh -c make # buildkit"),
			[]string{"image-history-exposure medium web shop/web:1 layer 1 key GITHUB_TOKEN file "}},
		{"a credential-like name without a literal: nothing",
			base().image("shop/web:1", "/bin/sh -c #(nop)  ARG NPM_TOKEN", "/bin/sh -c #(nop)  ENV DB_PASSWORD_FILE=/run/secrets/db", "ENV KEY_DIR=/etc/keys", "ENV API_KEY=/run/secrets/api_key"),
			[]string{}},
		{"one finding per image and name, the newest entry; the source value outranks a literal",
			base().image("shop/web:1", "|1 NPM_TOKEN=other-literal /bin/sh -c a", "|1 NPM_TOKEN="+token+" /bin/sh -c b", "|1 NPM_TOKEN="+token+" /bin/sh -c c"),
			[]string{"image-history-exposure high web shop/web:1 layer 2 key NPM_TOKEN file web.properties.prod"}},
		{"short values match by coincidence, not as source values",
			newWorld().file("web.properties.prod", "web", "mode=prod").service("web").runs("shop/web:1").image("shop/web:1", "ENV MODE=prod"),
			[]string{}},
		{"an image the engine does not hold: said, info",
			func() *world {
				w := base()
				w.images = append(w.images, ImageHistory{Image: "shop/web:1"})
				return w
			}(),
			[]string{"image-unchecked info web shop/web:1 layer 0 key  file "}},
		{"an image no service runs is not looked at",
			base().image("other:1", "|1 NPM_TOKEN="+token+" /bin/sh -c a"),
			[]string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.w.driftWithImages()
			if got := imageFindings(r); fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("got  %q\nwant %q", got, c.want)
				for _, f := range r.Findings {
					t.Logf("  %s: %s", f.Kind, f.Explanation)
				}
			}
			b, _ := json.Marshal(r)
			if strings.Contains(string(b), token) || strings.Contains(string(b), "ghp_notinthesource") {
				t.Errorf("a value is in the report: %s", b)
			}
			for _, f := range r.Findings {
				if strings.Contains(f.Explanation+f.Hint+f.Command, token) {
					t.Errorf("a value is in finding %s", f.ID())
				}
			}
		})
	}
}

// Without histories (nil: not looked at) there is no image finding at all:
// plans and their remake never depend on what an engine holds.
func TestImageHistoryNotLookedAt(t *testing.T) {
	w := newWorld().service("web").runs("shop/web:1")
	if got := imageFindings(w.drift()); len(got) != 0 {
		t.Errorf("findings without histories: %q", got)
	}
	if got := imageFindings(w.driftWithImages()); len(got) != 0 {
		t.Errorf("findings with an empty list of histories: %q", got)
	}
}
