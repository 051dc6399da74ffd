package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const knownSecret = "hunter2-correct-horse-battery"

func TestValueNeverFormatsItsBytes(t *testing.T) {
	v := NewValueString(knownSecret)
	type holder struct {
		Name  string
		Value Value
		Ptr   *Value
	}
	h := holder{Name: "db_password", Value: v, Ptr: &v}

	var outputs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3s"} {
		outputs = append(outputs, fmt.Sprintf(verb, v), fmt.Sprintf(verb, h), fmt.Sprintf(verb, &h))
	}
	outputs = append(outputs, fmt.Sprint(v), fmt.Sprintln([]Value{v}), fmt.Sprint(map[string]Value{"k": v}))
	j, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	outputs = append(outputs, string(j))
	outputs = append(outputs, fmt.Errorf("cannot use %v: %w", v, errors.New("boom")).Error())

	var log strings.Builder
	slog.New(slog.NewTextHandler(&log, nil)).Info("loaded", "value", v, "holder", h)
	slog.New(slog.NewJSONHandler(&log, nil)).Info("loaded", "value", v)
	outputs = append(outputs, log.String())

	// Go syntax says what the value is, through fmt or through GoString.
	if got := fmt.Sprintf("%#v", v); got != "model.Value([redacted])" || v.GoString() != got {
		t.Errorf("%%#v prints %s, GoString %s", got, v.GoString())
	}
	outputs = append(outputs, v.GoString())

	for _, out := range outputs {
		if strings.Contains(out, knownSecret) || strings.Contains(out, fmt.Sprintf("%x", knownSecret)) {
			t.Errorf("value leaked: %s", out)
		}
		if !strings.Contains(out, Redacted) {
			t.Errorf("expected redaction marker in %q", out)
		}
	}
}

func TestValueRedactsInPanics(t *testing.T) {
	v := NewValueString(knownSecret)
	msg := func() (msg string) {
		defer func() { msg = fmt.Sprint(recover()) }()
		panic(v)
	}()
	if strings.Contains(msg, knownSecret) {
		t.Fatalf("panic leaked the value: %s", msg)
	}
}

func TestValueAccessors(t *testing.T) {
	raw := []byte(knownSecret)
	v := NewValue(raw)
	raw[0] = 'X' // the Value owns a copy
	if v.Reveal() != knownSecret || v.Len() != len(knownSecret) {
		t.Fatalf("Reveal/Len wrong: %d", v.Len())
	}
	if !v.Equal(NewValueString(knownSecret)) || v.Equal(NewValueString("other")) {
		t.Fatal("Equal is wrong")
	}
	b := v.Bytes()
	b[0] = 'Y'
	if v.Reveal() != knownSecret {
		t.Fatal("Bytes must return a copy")
	}
	if !(Value{}).IsZero() || v.IsZero() {
		t.Fatal("IsZero is wrong")
	}
}

// fmt cannot call the methods of a Value or a key held in an unexported
// field: it prints such a field by reflection. Neither may show its bytes.
func TestValueAndKeyInUnexportedFieldsNeverPrint(t *testing.T) {
	const secret = "hunter2-unexported"
	key, err := NewFingerprintKey([]byte(strings.Repeat("K", FingerprintKeySize)))
	if err != nil {
		t.Fatal(err)
	}
	type holder struct {
		v   Value
		k   FingerprintKey
		vs  []Value
		ptr *Value
	}
	v := NewValueString(secret)
	h := holder{v: v, k: key, vs: []Value{v}, ptr: &v}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		for _, arg := range []any{h, &h, []holder{h}, map[string]holder{"a": h}, key} {
			out := fmt.Sprintf(verb, arg)
			for _, bad := range []string{secret, fmt.Sprintf("%x", secret), fmt.Sprint([]byte(secret)), strings.Repeat("K", 8),
				fmt.Sprintf("%x", strings.Repeat("K", 8)), fmt.Sprint([]byte(strings.Repeat("K", 4)))[1:12]} {
				if strings.Contains(out, bad) {
					t.Errorf("%s of %T prints the bytes (%q): %s", verb, arg, bad, out)
				}
			}
		}
	}
}
