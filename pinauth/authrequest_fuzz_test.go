package pinauth

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzAuthRequestPassesAnonymouslyOnlyWhatPublicAllows asks the
// auth-request endpoint, without a token, about any original method and
// target in either header convention. Property: it never answers 5xx; a
// 200 (pass) carries no identity and is given only when Gateway.Public
// allows the original request, the protected path's rule; anything else
// is a 400 (not an original request) or a 401.
func FuzzAuthRequestPassesAnonymouslyOnlyWhatPublicAllows(f *testing.F) {
	e := newTestEnv(f, withAuthRequest, func(c *Config) { c.Public = []string{"/healthz", "/static/", "/assets*"} })
	for _, seed := range []struct {
		method, target string
		forwarded      bool
	}{
		{"GET", "/healthz", false}, {"GET", "/healthz?x=1", true}, {"POST", "/static/app.css", false},
		{"GET", "/static/..%2fadmin", false}, {"GET", "/healthz/../admin", true}, {"CONNECT", "/healthz", false},
		{"GET", "http://gw.test/healthz", false}, {"GET", "*", true}, {"G T", "/healthz", false},
		{"GET", "", false}, {"GET", "/assets.js", true}, {"GET", "//healthz", false}, {"get", "/HEALTHZ", true},
	} {
		f.Add(seed.method, seed.target, seed.forwarded)
	}
	f.Fuzz(func(t *testing.T, method, target string, forwarded bool) {
		req := httptest.NewRequest("GET", authPath, nil)
		names := [2]string{"X-Original-Method", "X-Original-Uri"}
		if forwarded {
			names = [2]string{"X-Forwarded-Method", "X-Forwarded-Uri"}
		}
		req.Header[names[0]] = []string{method}
		req.Header[names[1]] = []string{target}
		w := httptest.NewRecorder()
		e.gw.Handle(w, req)
		switch w.Code {
		case http.StatusOK:
			if !e.gw.Public(method, target) {
				t.Fatalf("%s %q passed anonymously, but Public refuses it", method, target)
			}
			if w.Header().Get("X-Auth-Uid") != "" || w.Header().Get("Authorization") != "" {
				t.Fatalf("%s %q: an anonymous pass names an identity: %v", method, target, w.Header())
			}
		case http.StatusBadRequest, http.StatusUnauthorized:
		default:
			t.Fatalf("%s %q: answered %d %s", method, target, w.Code, w.Body.String())
		}
	})
}
