package sopsfile

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

// FuzzDecrypt: whatever a bucket writer puts in a file, reading it,
// getting its data key and decrypting it never panic nor hang, and an
// error never repeats the file (the marker stands for a value). Seeds are
// files the real sops encrypted for the fuzzer's own key, when sops is
// installed, so that mutations reach the values, the MAC and the writers.
func FuzzDecrypt(f *testing.F) {
	const marker = "MARKER-7Qx"
	id, err := age.GenerateX25519Identity()
	if err != nil {
		f.Fatal(err)
	}
	plain := map[Format]string{
		JSON:   `{"a": "` + marker + `", "n": 1, "f": 1.5, "b": true, "l": [1, {"x": null}], "m": {"k_unencrypted": "` + marker + `"}}`,
		YAML:   "# c\na: " + marker + " # i\nl:\n  - 1\n  # d\n  - x: y\nm:\n  k_unencrypted: " + marker + "\n",
		Dotenv: "A=" + marker + "\n# c\nB_unencrypted=" + marker + "\n",
		INI:    "a = " + marker + "\n[s]\nb_unencrypted = " + marker + "\n",
	}
	for format, p := range plain {
		f.Add(string(format), []byte(p))
	}
	f.Add(string(JSON), []byte(`{"a": "ENC[AES256_GCM,data:`+marker+`,iv:a,tag:b,type:str]", "sops": {"age": [{"recipient": "age1x", "enc": "x"}], "lastmodified": "2026-01-01T00:00:00Z", "mac": "ENC[x]", "version": "3.13.3"}}`))
	f.Add(string(Dotenv), []byte("A="+marker+"\nsops_age__list_0__map_enc=x\nsops_age__list_0__map_recipient=age1x\nsops_lastmodified=2026-01-01T00:00:00Z\nsops_mac=x\nsops_key_groups__list_0__map_age__list_0__map_enc=x\n"))
	if sops := installedSOPS(); sops != "" {
		for format, p := range plain {
			cmd := exec.Command(sops, "encrypt", "--age", id.Recipient().String(), "--input-type", string(format), "--output-type", string(format), "/dev/stdin")
			cmd.Stdin = strings.NewReader(p)
			cmd.Env = []string{"HOME=" + f.TempDir()}
			if out, err := cmd.Output(); err == nil {
				f.Add(string(format), out)
			}
		}
	}
	f.Fuzz(func(t *testing.T, format string, data []byte) {
		check := func(err error) {
			if err != nil && strings.Contains(err.Error(), marker) {
				t.Fatalf("the error repeats the file: %v", err)
			}
		}
		file, err := Load(Format(format), data)
		check(err)
		if err != nil {
			return
		}
		file.KeyKinds()
		file.AgeRecipients()
		key, err := file.DataKey([]age.Identity{id})
		check(err)
		if err != nil {
			key = make([]byte, 32) // the walk still runs, and fails on the first value
		}
		_, err = file.Decrypt(key)
		check(err)
	})
}

// installedSOPS is the sops binary where testrig.SOPS finds it, or "".
func installedSOPS() string {
	if p, err := exec.LookPath("sops"); err == nil {
		return p
	}
	if cache, err := os.UserCacheDir(); err == nil {
		if p := filepath.Join(cache, "secretdeck", "bin", "sops"); exists(p) {
			return p
		}
	}
	return ""
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
