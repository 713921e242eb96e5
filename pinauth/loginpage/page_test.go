package loginpage

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestServeHTTPMethods checks the answers that do not reach a flow: a
// known path asked with a method it does not take answers 405 with Allow
// naming only the methods that path takes (RFC 9110 §15.5.6), an unknown
// path 404 without it.
func TestServeHTTPMethods(t *testing.T) {
	t.Parallel()
	p := newTestPage(t)
	cases := []struct {
		method, path string
		status       int
		allow        string
	}{
		{http.MethodPut, "/login", http.StatusMethodNotAllowed, "GET, HEAD, POST"},
		{http.MethodDelete, "/login/", http.StatusMethodNotAllowed, "GET, HEAD, POST"},
		{http.MethodGet, "/login/pin", http.StatusMethodNotAllowed, "POST"},
		{http.MethodHead, "/login/setpin", http.StatusMethodNotAllowed, "POST"},
		{http.MethodPatch, "/login/forgot", http.StatusMethodNotAllowed, "GET, HEAD, POST"},
		{http.MethodPut, "/login/forgotpin", http.StatusMethodNotAllowed, "GET, HEAD, POST"},
		{http.MethodOptions, "/login/reset", http.StatusMethodNotAllowed, "GET, HEAD, POST"},
		{http.MethodPut, "/login/logout", http.StatusMethodNotAllowed, "GET, HEAD, POST"},
		{http.MethodGet, "/login/nowhere", http.StatusNotFound, ""},
		{http.MethodPost, "/login/pin/", http.StatusNotFound, ""},
		{http.MethodPut, "/login/Logout", http.StatusNotFound, ""},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			w := httptest.NewRecorder()
			p.ServeHTTP(w, httptest.NewRequest(c.method, c.path, nil))
			if w.Code != c.status {
				t.Fatalf("status %d, want %d", w.Code, c.status)
			}
			if got := w.Header().Get("Allow"); got != c.allow {
				t.Errorf("Allow %q, want %q", got, c.allow)
			}
		})
	}
}
