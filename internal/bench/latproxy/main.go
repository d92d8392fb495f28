// Command latproxy is a loopback-only reverse proxy that adds a fixed delay
// to every request: it makes a local endpoint (moto_server) look like a
// distant one, so that the batch benchmarks (internal/bench/interop.sh) can compare
// tools the way they behave against AWS, where each call waits on the
// network. Both tools under comparison go through the same proxy.
//
//	latproxy --target http://127.0.0.1:5000 --latency 30ms [--listen 127.0.0.1:0]
//
// The first line of stdout is "latproxy listening on http://HOST:PORT".
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "loopback `ADDR` to listen on")
	target := flag.String("target", "", "`URL` to forward to (loopback)")
	latency := flag.Duration("latency", 30*time.Millisecond, "delay added before forwarding each request")
	flag.Parse()
	u, err := url.Parse(*target)
	if err != nil || u.Host == "" {
		log.Fatalf("latproxy: --target %q: need http://HOST:PORT", *target)
	}
	host, _, err := net.SplitHostPort(*listen)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		log.Fatalf("latproxy: --listen %q: loopback addresses only", *listen)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("latproxy: %v", err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute}
	rp.ErrorLog = log.New(os.Stderr, "latproxy: ", 0)
	// The delay is one-way before the request is forwarded: a round trip's
	// worth of network wait per call, as a distant endpoint adds.
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := time.NewTimer(*latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
		rp.ServeHTTP(w, r)
	})
	fmt.Printf("latproxy listening on http://%s\n", ln.Addr())
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.Serve(ln))
}
