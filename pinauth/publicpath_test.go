package pinauth

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/publicpath/publicpathtest"
)

func TestAnonymousRequestsPassOnlyAtCanonicalPublicPaths(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, func(c *Config) { c.Public = publicpathtest.Rules })
	for _, target := range publicpathtest.PublicTargets {
		if w, ok := handleTarget(e, "GET", target); !ok {
			t.Errorf("%s: public, but denied: %d %s", target, w.Code, w.Body)
		}
	}
	for _, target := range publicpathtest.ProtectedTargets {
		if e.gw.Public("GET", target) {
			t.Errorf("%q: Public", target)
		}
		if _, err := url.ParseRequestURI(target); err != nil {
			continue // net/http answers 400 itself: the gateway never sees it
		}
		w, ok := handleTarget(e, "GET", target)
		if ok {
			t.Errorf("%q: reached the upstream without a token", target)
			continue
		}
		if w.Code != http.StatusUnauthorized {
			t.Errorf("%q: want 401, got %d %s", target, w.Code, w.Body)
		}
	}
	if _, ok := handleTarget(e, "CONNECT", "/healthz"); ok {
		t.Error("CONNECT reached the upstream without a token")
	}
}

// handleTarget runs one anonymous request for a raw request-target, parsed
// as net/http's server parses it, through the gateway.
func handleTarget(e *testEnv, method, target string) (*httptest.ResponseRecorder, bool) {
	e.t.Helper()
	r := httptest.NewRequest(method, "/", nil)
	u, err := url.ParseRequestURI(target)
	if err != nil {
		e.t.Fatalf("%q: %v", target, err)
	}
	r.URL, r.RequestURI = u, target
	w := httptest.NewRecorder()
	_, ok := e.gw.Handle(w, r)
	return w, ok
}

func TestAuthenticatedRequestsReachTheUpstreamWithTheirPathUnchanged(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, func(c *Config) { c.Public = publicpathtest.Rules })
	tok := e.loggedIn(testEmail).str("access_token")
	for _, target := range []string{"/files/a%2Fb", "/files/a%2fb%2Fc", "/repo/x/../y", "/static/..;/admin", "/a//b", "/Static/%61"} {
		r := httptest.NewRequest("GET", "/", nil)
		u, err := url.ParseRequestURI(target)
		if err != nil {
			t.Fatal(err)
		}
		r.URL, r.RequestURI = u, target
		r.Header.Set("Authorization", "Bearer "+tok)
		if _, ok := e.gw.Handle(httptest.NewRecorder(), r); !ok {
			t.Errorf("%s: denied with a valid token", target)
			continue
		}
		if got := r.URL.RequestURI(); got != target {
			t.Errorf("%s: forwarded as %s", target, got)
		}
	}
}
