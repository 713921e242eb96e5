package tests

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// upstreamBody is what the recording upstream answers, so a test can tell
// a proxied response from one the gateway wrote.
const upstreamBody = "hello from upstream"

// upstream is the app behind reverse_proxy: a Go HTTP server on loopback
// that records every request it receives.
type upstream struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

// recorded is one request as the upstream saw it.
type recorded struct {
	Method, Path, RawQuery string
	Header                 http.Header
}

func newUpstream(t *testing.T) *upstream {
	t.Helper()
	u := &upstream{}
	u.srv = httptest.NewServer(u.handler())
	t.Cleanup(u.srv.Close)
	return u
}

// newUpstreamOn starts an upstream that accepts on ln, closed when the
// test ends.
func newUpstreamOn(t *testing.T, ln net.Listener) *upstream {
	t.Helper()
	u := &upstream{}
	u.srv = httptest.NewUnstartedServer(u.handler())
	u.srv.Listener.Close()
	u.srv.Listener = ln
	u.srv.Start()
	t.Cleanup(u.srv.Close)
	return u
}

// handler records each request and answers upstreamBody.
func (u *upstream) handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		u.mu.Lock()
		u.reqs = append(u.reqs, recorded{
			Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(),
		})
		u.mu.Unlock()
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, upstreamBody)
	})
}

// addr is the upstream's host:port for reverse_proxy.
func (u *upstream) addr() string { return strings.TrimPrefix(u.srv.URL, "http://") }

// requests returns a copy of what the upstream received so far.
func (u *upstream) requests() []recorded {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]recorded(nil), u.reqs...)
}

// last returns the most recent request, failing the test when there is
// none.
func (u *upstream) last(t *testing.T) recorded {
	t.Helper()
	reqs := u.requests()
	if len(reqs) == 0 {
		t.Fatal("the upstream received no request")
	}
	return reqs[len(reqs)-1]
}

// identityHeaders returns the headers of h that an app could read as an
// identity header: the X-Auth- prefix in any case, with '_' or '.' for
// '-' (frameworks such as CGI and WSGI fold those spellings together).
func identityHeaders(h http.Header) map[string][]string {
	out := map[string][]string{}
	for name, v := range h {
		n := strings.NewReplacer("_", "-", ".", "-").Replace(strings.ToLower(name))
		if strings.HasPrefix(n, "x-auth-") {
			out[name] = v
		}
	}
	return out
}
