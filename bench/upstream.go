package main

import (
	"crypto/subtle"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"
)

// upstream is the app behind every proxy scenario: it answers 200 with the
// X-Auth-Uid it received (empty for the baseline), so sanity checks can see
// what the gateway forwarded; on headersPath it lists every X-Auth-*
// header it received instead, sorted.
func upstream() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		if r.URL.Path != headersPath {
			_, _ = w.Write([]byte("uid=" + r.Header.Get("X-Auth-Uid") + "\n"))
			return
		}
		var lines []string
		for name, values := range r.Header {
			if strings.HasPrefix(name, "X-Auth-") {
				lines = append(lines, name+": "+strings.Join(values, ",")+"\n")
			}
		}
		slices.Sort(lines)
		_, _ = w.Write([]byte(strings.Join(lines, "")))
	})
}

// headersPath is where the upstream lists the identity headers it got.
const headersPath = "/headers"

// authEndpoint is forward_auth's trivial local auth service: one known
// bearer token is valid (a constant-time compare, nothing else) and maps
// to uid.
func authEndpoint(wantAuthorization, uid string) http.Handler {
	want := []byte(wantAuthorization)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("X-Auth-Uid", uid)
		w.WriteHeader(http.StatusOK)
	})
}

// serveLoopback serves h on 127.0.0.1:port until the returned server is
// closed.
func serveLoopback(port int, h http.Handler) (*http.Server, error) {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", itoa(port)))
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	return srv, nil
}
