package swarm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/moby/moby/api/types/swarm"

	"github.com/secretdeck/secretdeck/model"
)

// viaMoby is what decodeSecrets must give: the engine's answer decoded as
// moby's client decodes it, then converted.
func viaMoby(data []byte) ([]model.Secret, error) {
	var items []swarm.Secret
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&items); err != nil {
		return nil, err
	}
	return convertAll(items, convertSecret), nil
}

const engineSecrets = `[{"ID":"00gtvqo4f3qo3s89t5t348bcf","Version":{"Index":205},"CreatedAt":"2026-11-30T14:23:17.071334719Z","UpdatedAt":"2026-11-30T14:23:17.071334719Z","Spec":{"Name":"scale_secret_0180","Labels":{"secretdeck-test.seed":"scale_"}}},
 {"ID":"x2","Version":{"Index":7},"CreatedAt":"2026-01-02T03:04:05+01:00","UpdatedAt":"2026-01-02T03:04:06Z","Spec":{"Name":"db_password_v2","Labels":{"com.secretdeck.logical":"db_password","com.secretdeck.fingerprint":"hmac-sha256:ab\u0063d","evil":"\u001b[31mred"},"Data":"aGVsbG8=","Driver":{"Name":"vault","Options":{"a":"b"}},"Templating":null}},
 {"ID":"x3","Version":{},"Spec":{"Name":"n\u00e9\ud83d\ude00\ud800x","Labels":null,"Driver":null}, "Extra":[1,-2.5e+3,true,false,null,{"a":[]}]},
 {"id":"x4","spec":{"name":"lower","labels":{}}},
 null]`

// The streaming decoder gives what moby's client and convertSecret give.
func TestDecodeSecretsAsMoby(t *testing.T) {
	want, err := viaMoby([]byte(engineSecrets))
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeSecrets(strings.NewReader(engineSecrets))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decodeSecrets:\n%+v\nmoby:\n%+v", got, want)
	}
	if got[1].Labels["evil"] != model.Printable("\x1b[31mred") || got[1].Driver != "vault" || got[0].Version != 205 {
		t.Fatalf("fields: %+v", got)
	}
}

// Secrets with the same labels share one map: 10,000 secrets made alike
// hold one.
func TestDecodeSecretsSharesLabels(t *testing.T) {
	got, err := decodeSecrets(strings.NewReader(`[{"ID":"a","Spec":{"Labels":{"k":"v"}}},{"ID":"b","Spec":{"Labels":{"k":"v"}}},{"ID":"c","Spec":{"Labels":{"k":"w"}}}]`))
	if err != nil {
		t.Fatal(err)
	}
	if reflect.ValueOf(got[0].Labels).UnsafePointer() != reflect.ValueOf(got[1].Labels).UnsafePointer() {
		t.Error("two secrets with the same labels hold two maps")
	}
	if got[2].Labels["k"] != "w" || got[0].Labels["k"] != "v" {
		t.Errorf("labels mixed up: %v", got)
	}
	// Sets that would read alike run together are told apart.
	got, err = decodeSecrets(strings.NewReader(`[{"Spec":{"Labels":{"ab":"c"}}},{"Spec":{"Labels":{"a":"bc"}}},{"Spec":{"Labels":{"a":"b","c":""}}}]`))
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Labels["ab"] != "c" || got[1].Labels["a"] != "bc" || got[2].Labels["a"] != "b" || len(got[2].Labels) != 2 {
		t.Errorf("label sets mixed up: %v", got)
	}
}

func TestDecodeSecretsRefusesBadJSON(t *testing.T) {
	for _, in := range []string{``, `[`, `{}`, `[{"ID":1}]`, `[{"ID":"a"}`, `[{"ID":"a",}]`, `[{"Version":{"Index":-1}}]`,
		`[{"CreatedAt":"yesterday"}]`, `[{"ID":"a\x01"}]`, `[01]`, `[{"Spec":{"Labels":{"a":1}}}]`, `[tru]`, `["\u12"]`} {
		if _, err := decodeSecrets(strings.NewReader(in)); err == nil {
			t.Errorf("%q: no error", in)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error on more than one line: %v", in, err)
		}
	}
}

// Whatever moby's client decodes, the streaming decoder decodes the same.
func FuzzDecodeSecrets(f *testing.F) {
	f.Add(engineSecrets)
	f.Add(`[{"ID":"a","Spec":{"Labels":{"k":"v","k":"w"},"Labels":{"j":"x"},"Driver":{"Name":"d"},"Driver":{"Options":null}}}]`)
	f.Add(`[{"Spec":{"Labels":{"a":"b"},"Labels":null}},{"Version":{"Index":1},"Version":null}]`)
	f.Add(`null`)
	f.Add(`[{"\u0049D":"escaped key","ſpec":{"name":"fold"}}]`)
	f.Add(`[{"ıD":"no key of encoding/json's: ı folds to no I"}]`)
	f.Fuzz(func(t *testing.T, in string) {
		got, err := decodeSecrets(strings.NewReader(in))
		want, werr := viaMoby([]byte(in))
		if werr != nil {
			return // moby's client refuses it too (or decodes what is skipped here)
		}
		if err != nil {
			t.Fatalf("moby decodes %q, decodeSecrets: %v", in, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\ndecodeSecrets %+v\nmoby          %+v", in, got, want)
		}
	})
}

// BenchmarkDecodeSecrets compares the streaming decoder with moby's
// client's decoding and convertSecret, on an answer of 10,000 secrets.
//
//	go test ./swarm -run XXX -bench DecodeSecrets -benchmem
func BenchmarkDecodeSecrets(b *testing.B) {
	var items []swarm.Secret
	for i := range 10000 {
		s := swarm.Secret{ID: fmt.Sprintf("%025d", i)}
		s.Version.Index = uint64(i)
		s.CreatedAt, s.UpdatedAt = time.Now(), time.Now()
		s.Spec.Name = fmt.Sprintf("scale_secret_%04d", i)
		s.Spec.Labels = map[string]string{"secretdeck-test.seed": "scale_"}
		items = append(items, s)
	}
	data, err := json.Marshal(items)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("moby", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := viaMoby(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("streamed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeSecrets(bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// Services with the same labels share one map, their previous spec's too;
// the labels stay escaped for a terminal.
func TestSnapshotSharesServiceLabels(t *testing.T) {
	api := &fakeAPI{info: managerInfo()}
	for i, labels := range []map[string]string{{"a": "b"}, {"a": "b"}, {"a": "\x1b[2J"}} {
		svc := swarm.Service{ID: fmt.Sprint("v", i)}
		svc.Spec.Name = fmt.Sprint("svc", i)
		svc.Spec.Labels = labels
		svc.Spec.TaskTemplate.ContainerSpec = &swarm.ContainerSpec{Image: "img"}
		prev := svc.Spec
		prev.Labels = map[string]string{"a": "b"}
		svc.PreviousSpec = &prev
		api.services = append(api.services, svc)
	}
	snap, err := LoadSnapshot(t.Context(), api)
	if err != nil {
		t.Fatal(err)
	}
	ptr := func(m map[string]string) unsafe.Pointer { return reflect.ValueOf(m).UnsafePointer() }
	s := snap.Services
	if ptr(s[0].Spec.Labels) != ptr(s[1].Spec.Labels) || ptr(s[0].Spec.Labels) != ptr(s[2].Previous.Labels) {
		t.Error("services with the same labels hold a map each")
	}
	if s[2].Spec.Labels["a"] != model.Printable("\x1b[2J") || s[0].Spec.Labels["a"] != "b" {
		t.Errorf("labels: %v %v", s[0].Spec.Labels, s[2].Spec.Labels)
	}
}

// streamer is a fake whose secrets are streamed: those given, or none
// streamed (errNotStreamed), as when the engine refuses the list.
type streamer struct {
	*fakeAPI
	secrets []model.Secret
	err     error
}

func (s streamer) streamSecrets(context.Context) ([]model.Secret, error) { return s.secrets, s.err }

// A snapshot takes the streamed secrets; when none were streamed, moby's
// client reads the list again and its error is the one returned.
func TestSnapshotFallsBackToMobyForRefusedLists(t *testing.T) {
	api := &fakeAPI{info: managerInfo(), secrets: []swarm.Secret{{ID: "moby"}}}
	snap, err := LoadSnapshot(t.Context(), streamer{fakeAPI: api, secrets: []model.Secret{{ID: "streamed"}}})
	if err != nil || len(snap.Secrets) != 1 || snap.Secrets[0].ID != "streamed" {
		t.Fatalf("streamed: %+v, %v", snap, err)
	}
	snap, err = LoadSnapshot(t.Context(), streamer{fakeAPI: api, err: errNotStreamed})
	if err != nil || len(snap.Secrets) != 1 || snap.Secrets[0].ID != "moby" {
		t.Fatalf("not streamed: %+v, %v", snap, err)
	}
	api.listErr = map[string]error{"SecretList": errors.New("refused")}
	if _, err := LoadSnapshot(t.Context(), streamer{fakeAPI: api, err: errNotStreamed}); err == nil || err.Error() != "list secrets: refused" {
		t.Fatalf("refused: %v", err)
	}
}
