package swarm

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"
)

// fakeImages holds images by reference, each with its history.
type fakeImages struct {
	mu      sync.Mutex
	held    map[string]string // ref → ID
	history map[string][]image.HistoryResponseItem
	fail    error
	asked   []string // history asked by
}

func (f *fakeImages) ImageInspect(_ context.Context, ref string, _ ...client.ImageInspectOption) (client.ImageInspectResult, error) {
	if f.fail != nil {
		return client.ImageInspectResult{}, f.fail
	}
	id, ok := f.held[ref]
	if !ok {
		return client.ImageInspectResult{}, cerrdefs.ErrNotFound.WithMessage("No such image: " + ref)
	}
	var r client.ImageInspectResult
	r.ID = id
	return r, nil
}

func (f *fakeImages) ImageHistory(_ context.Context, id string, _ ...client.ImageHistoryOption) (client.ImageHistoryResult, error) {
	f.mu.Lock()
	f.asked = append(f.asked, id)
	f.mu.Unlock()
	return client.ImageHistoryResult{Items: f.history[id]}, nil
}

func TestLoadImageHistories(t *testing.T) {
	f := &fakeImages{
		held: map[string]string{"shop/web:1": "sha256:web", "shop/api:2": "sha256:api"},
		history: map[string][]image.HistoryResponseItem{
			"sha256:web": {{ID: "sha256:web", CreatedBy: "|1 NPM_TOKEN=npm-Fake-Value /bin/sh -c npm ci"}, {ID: "<missing>", CreatedBy: "/bin/sh -c #(nop)  ARG NPM_TOKEN"}},
			"sha256:api": {{ID: "sha256:api", CreatedBy: "ENV MODE=prod\x1b[2J"}},
		},
	}
	got, err := LoadImageHistories(context.Background(), f, []string{"shop/web:1", "gone/img:3", "shop/api:2"})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, h := range got {
		lines = append(lines, fmt.Sprintf("%s held=%v %s %d", h.Image, h.Held, h.ID, len(h.Layers)))
	}
	if want := "shop/web:1 held=true sha256:web 2; gone/img:3 held=false  0; shop/api:2 held=true sha256:api 1"; strings.Join(lines, "; ") != want {
		t.Errorf("got %q\nwant %q", strings.Join(lines, "; "), want)
	}
	if got[0].Layers[0].CreatedBy.Reveal() != "|1 NPM_TOKEN=npm-Fake-Value /bin/sh -c npm ci" || got[0].Layers[1].ID != "<missing>" {
		t.Errorf("layers: %+v", got[0].Layers)
	}
	if s := fmt.Sprintf("%v %+v", got, got); strings.Contains(s, "npm-Fake-Value") {
		t.Errorf("a history entry prints its text: %s", s)
	}

	f.fail = errors.New("Cannot connect to the Docker daemon")
	if _, err := LoadImageHistories(context.Background(), f, []string{"shop/web:1"}); err == nil || !strings.Contains(err.Error(), "inspect image shop/web:1") {
		t.Errorf("an engine that cannot answer is an error: %v", err)
	}
}
