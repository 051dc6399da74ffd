package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

func TestGenerateWritesPagesAndCompletions(t *testing.T) {
	// A developer's own source must not become a documented default.
	t.Setenv("SECRETDECK_SOURCE", "s3://someones-private-bucket")
	t.Setenv("SECRETDECK_ENV", "prod")
	t.Setenv("SOURCE_DATE_EPOCH", "1790000000") // Sep 2026
	dir := t.TempDir()
	if err := generate(dir, "1.2.3"); err != nil {
		t.Fatal(err)
	}

	pages := listDir(t, filepath.Join(dir, "man"))
	for _, want := range []string{
		"secretdeck.1.gz", "secretdeck-status.1.gz", "secretdeck-drift.1.gz", "secretdeck-plan.1.gz",
		"secretdeck-apply.1.gz", "secretdeck-inspect-secret.1.gz", "secretdeck-version.1.gz",
		"secretdeck-completion-bash.1.gz",
	} {
		if !slices.Contains(pages, want) {
			t.Errorf("no man page %s; got %v", want, pages)
		}
	}
	for _, name := range pages {
		if strings.Contains(name, "help") {
			t.Errorf("cobra's help command got a page: %s", name)
		}
		page := gunzip(t, filepath.Join(dir, "man", name))
		if strings.Contains(page, "someones-private-bucket") || strings.Contains(page, `"prod"`) {
			t.Errorf("%s documents the environment of the machine that built it", name)
		}
	}
	top := gunzip(t, filepath.Join(dir, "man", "secretdeck.1.gz"))
	for _, want := range []string{`.TH "SECRETDECK" "1" "Sep 2026" "secretdeck 1.2.3" "secretdeck manual"`, ".SH NAME", "--source", "secretdeck-status(1)"} {
		if !strings.Contains(top, want) {
			t.Errorf("secretdeck.1 lacks %q:\n%s", want, top)
		}
	}
	// Help text is written for a terminal: Markdown must not eat the <…>.
	if !strings.Contains(top, `<service>\&.<format>\&.<env>`) {
		t.Errorf("secretdeck.1 lost the file-name pattern of its help text:\n%s", top)
	}
	if plan := gunzip(t, filepath.Join(dir, "man", "secretdeck-plan.1.gz")); !strings.Contains(plan, "<logical>_v<N+1>") {
		t.Errorf("secretdeck-plan.1 lost the version pattern of its help text:\n%s", plan)
	}
	if strings.Contains(top, "Auto generated") {
		t.Error("secretdeck.1 carries cobra's auto-generated history")
	}

	completions := map[string]string{
		"secretdeck.bash": "complete -o default -F __start_secretdeck secretdeck",
		"_secretdeck":     "#compdef secretdeck",
		"secretdeck.fish": "complete -c secretdeck",
	}
	for name, want := range completions {
		b, err := os.ReadFile(filepath.Join(dir, "completions", name))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %q", name, want)
		}
	}
}

func TestGenerateIsReproducibleAndDropsStalePages(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1790000000")
	dir := t.TempDir()
	if err := generate(dir, "1.2.3"); err != nil {
		t.Fatal(err)
	}
	first := readDir(t, dir)
	// A page left by an earlier build, of a command since renamed.
	stale := filepath.Join(dir, "man", "secretdeck-rotate.1.gz")
	if err := os.WriteFile(stale, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := generate(dir, "1.2.3"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("a stale page survived: %v", err)
	}
	second := readDir(t, dir)
	if len(first) != len(second) {
		t.Fatalf("%d files, then %d", len(first), len(second))
	}
	for name, b := range first {
		if !bytes.Equal(b, second[name]) {
			t.Errorf("%s differs between two builds of the same source", name)
		}
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		files[path] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func gunzip(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return string(b)
}
