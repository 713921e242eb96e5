package pinauth

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// publicTestRules are the public rules of the path tests: an exact path, a
// directory and a prefix.
var publicTestRules = []string{"/healthz", "/static/", "/assets*", "/favicon.ico"}

// publicTargets are request-targets, exactly as a client writes them,
// that pass the gate without a token: canonical paths under the rules.
var publicTargets = []string{
	"/healthz", "/healthz?probe=1", "/favicon.ico",
	"/static", "/static/", "/static/app.css", "/static/img/logo.png", "/static/a%20b.css",
	"/static/a(1)~b_c-d.e!$&'*+,=:@.js", "/static/%5Bx%5D%7By%7D.txt",
	"/assets", "/assets.js", "/assets/x/y.js",
	"http://example.com/healthz", "HTTP://example.com/static/app.css",
}

// protectedTargets spell a public path, or a way out of one, in every
// non-canonical form of the known path-confusion classes: without a token
// each must be denied, whatever it would mean to the app.
var protectedTargets = []string{
	// dot segments, plain and encoded
	"/admin/../healthz", "/healthz/../admin", "/static/../admin", "/static/./app.css", "/./healthz",
	"/static/.", "/static/..", "/static/%2e%2e/admin", "/static/%2E%2E/admin", "/static/.%2e/admin",
	"/static/%2e./admin", "/static/%2e/app.css", "/assets/../admin", "/assets/%2e%2e/admin",
	// encoded separators
	"/admin%2f..%2fhealthz", "/admin%2F..%2Fhealthz", "/static/..%2fadmin", "/static%2f..%2fadmin",
	"/static/a%2fb.css", "/static/..%5cadmin", "/static/%5c..%5cadmin", `/static\..\admin`,
	`/static/a\b.css`, "/static/..%255cadmin",
	// double encoding
	"/static/%252e%252e/admin", "/static/%252e%252e%252fadmin", "/static/%25", "/static/100%25.txt",
	// overlong UTF-8, IIS %u, fullwidth, anything outside ASCII
	"/static/%c0%ae%c0%ae/admin", "/static/%C0%AE%C0%AE/admin", "/static/%c0%afadmin",
	"/static/%e0%80%ae%e0%80%ae/admin", "/static/%u002e%u002e/admin", "/static/%ef%bc%8e%ef%bc%8e/admin",
	"/static/%C3%A9.css", "/static/\xc3\xa9.css",
	// repeated separators
	"//healthz", "///healthz", "/static//app.css", "/static///../admin", "/healthz/",
	// ;parameters
	"/healthz;x", "/healthz;jsessionid=1", "/static/..;/admin", "/static;/../admin", "/static/a;b.css",
	"/static/%3b/../admin", "/static/%3B",
	// case
	"/HEALTHZ", "/Healthz", "/Static/app.css", "/ASSETS/x.js", "/static/a%3c.css",
	// trailing dots and spaces
	"/healthz.", "/healthz%20", "/static/app.css.", "/static/app.css%20", "/static/x%20./",
	// control characters, NUL, '?' and '#' inside the path
	"/healthz%00", "/static/x%00/../../admin", "/healthz%0d%0aX-Auth-Uid:%20a", "/static/x%09",
	"/healthz#/../admin", "/static/%23/../admin", "/static/x%3F/../../admin",
	// needless escapes
	"/static/%61pp.css", "/%68ealthz", "/static%2Fapp.css",
	// absolute and other request-target forms
	"http://example.com/admin/../healthz", "http://example.com/static/%2e%2e/admin", "http:/healthz/../admin",
	"http:healthz", "*",
	// very long
	"/static/" + strings.Repeat("a", maxPublicPathLen), "/static/" + strings.Repeat("../", 500) + "admin",
}

func TestAnonymousRequestsPassOnlyAtCanonicalPublicPaths(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, func(c *Config) { c.Public = publicTestRules })
	for _, target := range publicTargets {
		if w, ok := handleTarget(e, "GET", target); !ok {
			t.Errorf("%s: public, but denied: %d %s", target, w.Code, w.Body)
		}
	}
	for _, target := range protectedTargets {
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
	e := newTestEnv(t, func(c *Config) { c.Public = publicTestRules })
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

func TestPublicRulesThatCouldNeverMatchStopTheConfig(t *testing.T) {
	t.Parallel()
	for _, rule := range []string{"healthz", "/a;b", "/a//b", "/a/../b", "/a/./b", "/a/.", "/a.", "/a ",
		"/100%", `/a\b`, "/a?b", "/a#b", "/\xc3\xa9", "/a\x00", "//*", "/" + strings.Repeat("a", maxPublicPathLen)} {
		if err := ValidatePublicPath(rule); err == nil {
			t.Errorf("public %q was accepted", rule)
		}
		if _, err := newPublicPaths([]string{rule}); err == nil {
			t.Errorf("newPublicPaths(%q) was accepted", rule)
		}
	}
	for _, rule := range []string{"/", "/*", "/healthz", "/a b", "/a(1)", "/static/", "/assets*", "/x.*", "/v1.2/"} {
		if err := ValidatePublicPath(rule); err != nil {
			t.Errorf("public %q: %v", rule, err)
		}
	}
	pp, err := newPublicPaths([]string{"/a b", "/v1.2/"})
	if err != nil {
		t.Fatal(err)
	}
	for target, want := range map[string]bool{"/a%20b": true, "/a%20B": false, "/v1.2": true, "/v1.2/x": true, "/v1.2x": false} {
		if got := pp.allows("GET", target); got != want {
			t.Errorf("rule set {/a b, /v1.2/}: %q public = %v, want %v", target, got, want)
		}
	}
}
