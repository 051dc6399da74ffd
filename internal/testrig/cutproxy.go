package testrig

import (
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// CutProxy forwards connections to an upstream (the engine's unix socket, or
// S3's TCP address) until Cut: then every open connection is closed and new
// ones are refused, as when an SSH session or a network path drops; Mend lets
// new ones through again. It stands in for ssh:// in the fault tests.
type CutProxy struct {
	Addr string // unix://… for a unix upstream, 127.0.0.1:port for a TCP one

	network, upstream string
	mu                sync.Mutex
	cut               bool
	conns             map[net.Conn]struct{}
}

// NewCutProxy starts a CutProxy in front of upstream: "unix://path" is
// served on a unix socket of the test's own, "host:port" on a loopback port.
func NewCutProxy(t testing.TB, upstream string) *CutProxy {
	t.Helper()
	p := &CutProxy{network: "tcp", upstream: upstream, conns: map[net.Conn]struct{}{}}
	var (
		l   net.Listener
		err error
	)
	if path, ok := strings.CutPrefix(upstream, "unix://"); ok {
		p.network, p.upstream = "unix", path
		sock := filepath.Join(t.TempDir(), "cut.sock")
		l, err = net.Listen("unix", sock)
		p.Addr = "unix://" + sock
	} else {
		l, err = net.Listen("tcp", "127.0.0.1:0")
		if err == nil {
			p.Addr = l.Addr().String()
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close(); p.Cut() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *CutProxy) serve(in net.Conn) {
	p.mu.Lock()
	if p.cut {
		p.mu.Unlock()
		_ = in.Close()
		return
	}
	p.mu.Unlock()
	out, err := net.Dial(p.network, p.upstream)
	if err != nil {
		_ = in.Close()
		return
	}
	p.mu.Lock()
	if p.cut { // cut while dialling
		p.mu.Unlock()
		_ = in.Close()
		_ = out.Close()
		return
	}
	p.conns[in], p.conns[out] = struct{}{}, struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(out, in); done <- struct{}{} }()
	go func() { _, _ = io.Copy(in, out); done <- struct{}{} }()
	<-done
	_ = in.Close()
	_ = out.Close()
	p.mu.Lock()
	delete(p.conns, in)
	delete(p.conns, out)
	p.mu.Unlock()
}

// Cut closes every open connection and refuses new ones until Mend.
func (p *CutProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		_ = c.Close()
	}
}

// Mend lets new connections through again.
func (p *CutProxy) Mend() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
}
