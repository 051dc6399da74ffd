// Command echoapp is the test image of secretdeck's integration rig: a tiny
// static program that prints, every few seconds, what it sees under
// /run/secrets, so a test can read through `docker service logs` which secret
// values a container really mounts after a rotation.
//
// For each file it prints its name, size and the SHA-256 of its content; with
// ECHOAPP_PRINT_VALUES=1 (test secrets only) it prints the content too.
// With ECHOAPP_FAIL_IF_CONTAINS=s it exits 1 when a mounted file contains s,
// which lets a test make a rollout fail on a given value.
package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

func main() {
	dir := os.Getenv("ECHOAPP_DIR")
	if dir == "" {
		dir = "/run/secrets"
	}
	interval := 5 * time.Second
	if d, err := time.ParseDuration(os.Getenv("ECHOAPP_INTERVAL")); err == nil && d > 0 {
		interval = d
	}
	for {
		if err := report(dir); err != nil {
			fmt.Fprintln(os.Stderr, "echoapp:", err)
			os.Exit(1)
		}
		if os.Getenv("ECHOAPP_ONCE") == "1" {
			return
		}
		time.Sleep(interval)
	}
}

func report(dir string) error {
	var files []string
	_ = filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			files = append(files, path)
		}
		return nil
	})
	sort.Strings(files)
	fail := os.Getenv("ECHOAPP_FAIL_IF_CONTAINS")
	fmt.Printf("echoapp: %d files under %s\n", len(files), dir)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			fmt.Printf("file=%s error=%q\n", f, err)
			continue
		}
		info, _ := os.Stat(f)
		line := fmt.Sprintf("file=%s size=%d mode=%o sha256=%x", f, len(b), info.Mode().Perm(), sha256.Sum256(b))
		if os.Getenv("ECHOAPP_PRINT_VALUES") == "1" {
			line += fmt.Sprintf(" value=%q", b)
		}
		fmt.Println(line)
		if fail != "" && strings.Contains(string(b), fail) {
			return fmt.Errorf("%s holds the value this container was told to refuse", f)
		}
	}
	return nil
}
