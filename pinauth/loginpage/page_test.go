package loginpage

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestServeHTTPMethods checks the answers that do not reach a flow: a
// known path asked with a method it does not take answers 405 with Allow,
// an unknown path 404 without it.
func TestServeHTTPMethods(t *testing.T) {
	t.Parallel()
	p := newTestPage(t)
	cases := []struct {
		method, path string
		status       int
	}{
		{http.MethodPut, "/login", http.StatusMethodNotAllowed},
		{http.MethodDelete, "/login/", http.StatusMethodNotAllowed},
		{http.MethodGet, "/login/pin", http.StatusMethodNotAllowed},
		{http.MethodHead, "/login/setpin", http.StatusMethodNotAllowed},
		{http.MethodPatch, "/login/forgot", http.StatusMethodNotAllowed},
		{http.MethodPut, "/login/forgotpin", http.StatusMethodNotAllowed},
		{http.MethodOptions, "/login/reset", http.StatusMethodNotAllowed},
		{http.MethodPut, "/login/logout", http.StatusMethodNotAllowed},
		{http.MethodGet, "/login/nowhere", http.StatusNotFound},
		{http.MethodPost, "/login/pin/", http.StatusNotFound},
		{http.MethodPut, "/login/Logout", http.StatusNotFound},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			w := httptest.NewRecorder()
			p.ServeHTTP(w, httptest.NewRequest(c.method, c.path, nil))
			if w.Code != c.status {
				t.Fatalf("status %d, want %d", w.Code, c.status)
			}
			wantAllow := ""
			if c.status == http.StatusMethodNotAllowed {
				wantAllow = "GET, HEAD, POST"
			}
			if got := w.Header().Get("Allow"); got != wantAllow {
				t.Errorf("Allow %q, want %q", got, wantAllow)
			}
		})
	}
}
