package tui

import (
	"fmt"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/secretdeck/secretdeck/model"
	"github.com/secretdeck/secretdeck/tui/common"
	"github.com/secretdeck/secretdeck/tui/internal/tuitest"
)

// bigData is a swarm of n secrets, each mounted by one of n/10 services.
func bigData(n int) *common.Data {
	d := tuitest.Data()
	sw := d.Swarm
	sw.Secrets, sw.Services = nil, nil
	for i := range n {
		sw.Secrets = append(sw.Secrets, model.Secret{ID: fmt.Sprint("s", i), Name: fmt.Sprintf("service_%04d_key_%d_v1", i/10, i%10), CreatedAt: tuitest.Now()})
	}
	for i := range n / 10 {
		svc := model.Service{ID: fmt.Sprint("v", i), Name: fmt.Sprintf("service_%04d", i), Mode: "replicated"}
		for j := range 10 {
			s := sw.Secrets[i*10+j]
			svc.Spec.Secrets = append(svc.Spec.Secrets, model.FileRef{ID: s.ID, Name: s.Name, Target: fmt.Sprint("key_", j)})
		}
		sw.Services = append(sw.Services, svc)
	}
	d.Drift = model.Drift(model.DriftInput{Swarm: sw, Source: d.Source, Key: d.Source.Key})
	return d
}

func benchApp(b *testing.B, n int) *App {
	a := New(Options{Loader: &fakeLoader{data: bigData(n)}})
	a.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	a.Update(a.load()())
	return a
}

// BenchmarkView renders the Secrets pane: the cost must not grow with the
// number of rows, since only the visible ones are rendered.
func BenchmarkView(b *testing.B) {
	for _, n := range []int{100, 10000} {
		b.Run(fmt.Sprintf("secrets=%d", n), func(b *testing.B) {
			a := benchApp(b, n)
			b.ReportAllocs()
			for b.Loop() {
				_ = a.View()
			}
		})
	}
}

// BenchmarkCursorMove is one key press (down) and the frame it draws.
func BenchmarkCursorMove(b *testing.B) {
	for _, n := range []int{100, 10000} {
		b.Run(fmt.Sprintf("secrets=%d", n), func(b *testing.B) {
			a := benchApp(b, n)
			down := tea.KeyPressMsg{Code: tea.KeyDown}
			b.ReportAllocs()
			for b.Loop() {
				a.Update(down)
				_ = a.View()
			}
		})
	}
}

// BenchmarkLoad is applying a fresh load of 10,000 secrets to every pane.
func BenchmarkLoad(b *testing.B) {
	a := benchApp(b, 10000)
	d := bigData(10000)
	b.ReportAllocs()
	for b.Loop() {
		a.seq++
		a.Update(loadedMsg{seq: a.seq, data: d})
	}
}
