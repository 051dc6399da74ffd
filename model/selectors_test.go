package model

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// A selector that matches nothing is an error that names what exists; a
// version's name selects its logical secret.
func TestSelectorsResolveOrNameWhatExists(t *testing.T) {
	w := newWorld().secret("payment_key_v1").secret("payment_key_v2").secret("my_secret_data").secret("legacy_token").
		service("billing", "payment_key_v1:payment_key").service("checkout", "payment_key_v2:payment_key").
		service("redis", "my_secret_data:my_secret_data").
		file("shared.properties.prod", SharedService, "payment_key=new").
		file("redis.env.prod", "redis", "my_secret_data=v")
	r := w.drift()
	cases := []struct {
		name, want, note, err string
	}{
		{"payment_key", "payment_key", "", ""},
		{"payment_key_v2", "payment_key", "payment_key_v2 is a version of the logical secret payment_key", ""},
		{"my_secret_data", "my_secret_data", "", ""},
		{"nope", "", "", `no logical secret named "nope"; logical secrets: `},
		{"payment_kye", "", "", "logical secrets: payment_key, my_secret_data"},
		{"legacy_token", "", "", "the swarm secret legacy_token is declared by no property file, so no plan rotates it"},
	}
	for _, c := range cases {
		l, note, err := r.ResolveSecret(&w.swarm, c.name)
		if l != c.want || !strings.Contains(note, c.note) || (c.note == "") != (note == "") {
			t.Errorf("--secret %s: logical %q note %q, want %q, %q", c.name, l, note, c.want, c.note)
		}
		if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("--secret %s: error %v, want one containing %q", c.name, err, c.err)
		}
	}
	if err := w.swarm.ResolveService("redis"); err != nil {
		t.Errorf("--service redis: %v", err)
	}
	err := w.swarm.ResolveService("nope")
	var nf *NotFoundError
	if !errors.As(err, &nf) || err.Error() != `no service named "nope"; services: redis, billing, checkout` {
		t.Errorf("--service nope: %v", err)
	}
}

func TestNotFoundListsAtMostTenClosestNames(t *testing.T) {
	var names []string
	for i := range 25 {
		names = append(names, fmt.Sprintf("svc%02d", i))
	}
	err := (&NotFoundError{What: "service", Name: "svc17x", Have: names}).Error()
	if !strings.HasPrefix(err, `no service named "svc17x"; services: svc17, `) || !strings.HasSuffix(err, " and 15 more") {
		t.Errorf("got %q", err)
	}
	if got := strings.Count(err, ","); got != 9 {
		t.Errorf("%d commas, want 9 (ten names): %q", got, err)
	}
}
