// Command latency is an HTTP proxy on loopback that holds every request for
// a fixed time before forwarding it: the rig's S3 server, on the same
// machine, then answers like a real one 20-50 ms away (bench/scale.sh).
//
//	go run ./bench/latency -upstream http://127.0.0.1:7070 -delay 30ms
//
// It prints its own address on the first line of stdout, serves until
// SIGINT or SIGTERM, then prints how many requests it forwarded to stderr;
// with -log, each request as it arrives.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	upstream := flag.String("upstream", "", "server to forward to (http://host:port; required)")
	delay := flag.Duration("delay", 30*time.Millisecond, "time each request is held before it is forwarded")
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	logRequests := flag.Bool("log", false, "print each request as it arrives to stderr (ms since the first, method, path, query): which requests wait for which")
	flag.Parse()
	target, err := url.Parse(*upstream)
	if err != nil || target.Host == "" {
		fmt.Fprintln(os.Stderr, "latency: -upstream http://host:port is required")
		os.Exit(2)
	}
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "latency:", err)
		os.Exit(1)
	}
	var requests atomic.Int64
	var first time.Time
	var firstOnce sync.Once
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = r.In.Host // a SigV4 signature covers the Host the client used
		},
		Transport: &http.Transport{MaxIdleConnsPerHost: 256},
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if *logRequests {
			firstOnce.Do(func() { first = time.Now() })
			fmt.Fprintf(os.Stderr, "%6.1f ms  %s %s\n", float64(time.Since(first).Microseconds())/1000, r.Method, r.URL.RequestURI())
		}
		time.Sleep(*delay)
		proxy.ServeHTTP(w, r)
	})
	fmt.Printf("http://%s\n", l.Addr())
	go func() { _ = http.Serve(l, handler) }()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	fmt.Fprintf(os.Stderr, "latency: %d requests held %s each\n", requests.Load(), *delay)
}
