package pinauth

import (
	"net/http/httptest"
	"testing"
)

// BenchmarkAuthRequestCached is BenchmarkProtectedRequestCached asked
// through the auth-request endpoint: the same token, verified before
// (cache hit), from a trusted proxy that names the original request in
// nginx's headers; the answer carries the identity headers and the
// Authorization for the proxy to copy. Issue 21's target: at least 0.9×
// the protected path's throughput.
func BenchmarkAuthRequestCached(b *testing.B) {
	e, login := benchEnv(b, withAuthRequest)
	req := httptest.NewRequest("GET", authPath, nil)
	req.Header["Authorization"] = []string{"Bearer " + login.str("access_token")}
	req.Header.Set("Accept", "text/html")
	req.Header.Set("User-Agent", "bench")
	req.Header.Set("X-Original-Method", "GET")
	req.Header.Set("X-Original-Uri", "/app/data")
	ask := *req.URL
	w := httptest.NewRecorder()
	e.gw.Handle(w, req)
	if w.Code != 200 || w.Header().Get("X-Auth-Uid") == "" {
		b.Fatalf("warm-up auth request: %d %s", w.Code, w.Body.String())
	}
	e.gw.cache.Wait()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		// The endpoint turns the request into the original one; the
		// proxy's next question arrives as its own request.
		req.Method, req.URL = "GET", &ask
		clear(w.HeaderMap)
		e.gw.Handle(w, req)
	}
	b.StopTimer()
	if w.Header().Get("X-Auth-Uid") == "" {
		b.Fatal("the answers carried no identity")
	}
}
