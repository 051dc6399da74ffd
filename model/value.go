package model

import (
	"crypto/subtle"
	"fmt"
	"log/slog"
)

// Redacted is what every formatting path prints instead of a secret value.
const Redacted = "[redacted]"

// Value holds a secret value: a source entry or a plain service environment
// variable. It redacts itself in every formatting path (fmt verbs, JSON, text
// marshalling, slog), so a value placed by mistake in an error, a log line, a
// panic or an output struct prints as [redacted]. The bytes are reachable only
// through Reveal and Bytes, which make each use of the value explicit.
//
// The bytes are held by a closure: fmt cannot call a method of a Value held
// in an unexported struct field and prints such a field by reflection, which
// shows a func as an address whatever the verb — never what it holds.
type Value struct {
	b func() []byte // nil: the empty value; the bytes never change once made
}

// NewValue copies b into a new Value.
func NewValue(b []byte) Value {
	c := append([]byte(nil), b...)
	return Value{b: func() []byte { return c }}
}

// NewValueString returns the Value holding s.
func NewValueString(s string) Value { return NewValue([]byte(s)) }

func (v Value) bytes() []byte {
	if v.b == nil {
		return nil
	}
	return v.b()
}

// Reveal returns the value in clear. Call it only to send the value to Docker
// or to show it on an operator's explicit request.
func (v Value) Reveal() string { return string(v.bytes()) }

// Bytes returns a copy of the value's bytes.
func (v Value) Bytes() []byte { return append([]byte(nil), v.bytes()...) }

// Len is the value's length in bytes; it is safe to show.
func (v Value) Len() int { return len(v.bytes()) }

// IsZero reports whether the value is empty.
func (v Value) IsZero() bool { return v.Len() == 0 }

// Equal compares two values in constant time for equal lengths.
func (v Value) Equal(o Value) bool { return subtle.ConstantTimeCompare(v.bytes(), o.bytes()) == 1 }

// String implements fmt.Stringer.
func (Value) String() string { return Redacted }

// GoString implements fmt.GoStringer (the %#v verb).
func (Value) GoString() string { return "model.Value(" + Redacted + ")" }

// Format implements fmt.Formatter so that every verb, %x and %q included,
// prints the redaction and never the bytes.
func (Value) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, "model.Value("+Redacted+")")
		return
	}
	fmt.Fprint(f, Redacted)
}

// MarshalJSON implements json.Marshaler.
func (Value) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText implements encoding.TextMarshaler (YAML, map keys, flags).
func (Value) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// LogValue implements slog.LogValuer.
func (Value) LogValue() slog.Value { return slog.StringValue(Redacted) }
