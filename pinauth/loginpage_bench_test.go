package pinauth

import (
	"net/http/httptest"
	"testing"
)

// BenchmarkProtectedRequestSessionCookie is the hot path of a browser: the
// login page's sealed session cookie opened (AES-GCM, JSON), stripped from
// the request, and its access token verified from the cache. Compare with
// BenchmarkProtectedRequestCached (a bearer token).
func BenchmarkProtectedRequestSessionCookie(b *testing.B) {
	e := newTestEnv(b, withLoginPage())
	e.createAccount(testEmail, testPIN)
	br := newBrowser(b, e)
	if p := br.passwordLogin("", testEmail, testPass); p.status != 303 {
		b.Fatalf("login page password login: %d %q", p.status, p.alert())
	}
	cookie := []string{"theme=dark; " + sessionCookie + "=" + br.cookies[sessionCookie] + "; lang=en"}
	req := httptest.NewRequest("GET", "/app/data", nil)
	req.Header.Set("Accept", "text/html")
	w := httptest.NewRecorder()
	req.Header["Cookie"] = cookie
	if _, ok := e.gw.Handle(w, req); !ok {
		b.Fatalf("warm-up request denied: %d %s", w.Code, w.Body.String())
	}
	e.gw.cache.Wait()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		// protect strips the cookie and forwards the token in
		// Authorization: undo both each time.
		req.Header["Cookie"] = cookie
		delete(req.Header, "Authorization")
		if _, ok := e.gw.Handle(w, req); !ok {
			b.Fatal("denied")
		}
	}
}

// BenchmarkProtectedRequestBearerWithLoginPage is the bearer hot path with
// the login page enabled: its only cost there is looking for cookies.
func BenchmarkProtectedRequestBearerWithLoginPage(b *testing.B) {
	e := newTestEnv(b, withLoginPage())
	login := e.loggedIn(testEmail)
	req := httptest.NewRequest("GET", "/app/data", nil)
	req.Header.Set("Authorization", "Bearer "+login.str("access_token"))
	req.Header.Set("Cookie", "theme=dark; lang=en")
	w := httptest.NewRecorder()
	if _, ok := e.gw.Handle(w, req); !ok {
		b.Fatalf("warm-up request denied: %s", w.Body.String())
	}
	e.gw.cache.Wait()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, ok := e.gw.Handle(w, req); !ok {
			b.Fatal("denied")
		}
	}
}
