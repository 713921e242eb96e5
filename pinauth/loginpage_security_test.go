package pinauth

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/notify"
)

// TestLoginReturnTargetsAndResetLinksAgreeOnAllowedOrigins: the login
// page's return targets and the reset links are checked against the same
// allowed_origins by one rule, so an origin written with its default port
// (https://x:443) is the origin without it, on both.
func TestLoginReturnTargetsAndResetLinksAgreeOnAllowedOrigins(t *testing.T) {
	t.Parallel()
	allowed := []string{"https://app.example.com", "https://ports.example.com:443/", "http://localhost:3000"}
	e := newTestEnv(t, withLoginPage(), func(c *Config) { c.Tenants[0].AllowedOrigins = allowed })
	b := newBrowser(t, e)
	for target, want := range map[string]bool{
		"https://app.example.com/dash":      true,
		"https://app.example.com:443/dash":  true,
		"HTTPS://APP.EXAMPLE.COM:443/x":     true,
		"https://ports.example.com/x":       true,
		"https://ports.example.com:443/x":   true,
		"http://localhost:3000/x":           true,
		"http://app.example.com/x":          false,
		"http://app.example.com:443/x":      false,
		"https://app.example.com:8443/x":    false,
		"http://localhost/x":                false,
		"https://app.example.com.evil.com/": false,
	} {
		_, err := notify.LinkBase(allowed, target)
		if reset := err == nil; reset != want {
			t.Errorf("reset link %q allowed: %v, want %v", target, reset, want)
		}
		form := b.get("/login?return=" + url.QueryEscape(target))
		if page := form.hidden().Get("return") == target; page != want {
			t.Errorf("return target %q allowed: %v, want %v", target, page, want)
		}
	}
}

func TestLoginPageReturnTargetsCannotRedirectElsewhere(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withLoginPage(), func(c *Config) {
		c.Tenants[0].AllowedOrigins = []string{"https://app.example.com", "http://localhost:3000/"}
	})
	// The rule itself is loginpage's TestSafeReturnCannotRedirectElsewhere.
	// End to end: the target survives the form and decides the redirect.
	e.createAccount(testEmail, testPIN)
	for _, tc := range []struct{ ret, want string }{
		{"//evil.com/x", "/"},
		{"/%5Cevil.com", "/"},
		{"https://app.example.com/welcome", "https://app.example.com/welcome"},
	} {
		b := newBrowser(t, e)
		r := b.passwordLogin("?return="+url.QueryEscape(tc.ret), testEmail, testPass)
		if r.status != 303 || r.header.Get("Location") != tc.want {
			t.Errorf("login with return=%q: redirected to %q, want %q", tc.ret, r.header.Get("Location"), tc.want)
		}
		// A return field forged in the POST is validated again.
		b2 := newBrowser(t, e)
		r = b2.submit(b2.get("/login"), "/login", "identifier", testEmail, "password", testPass, "return", tc.ret)
		if r.status != 303 || r.header.Get("Location") != tc.want {
			t.Errorf("login with a posted return=%q: redirected to %q, want %q", tc.ret, r.header.Get("Location"), tc.want)
		}
	}
	if csp := newBrowser(t, e).get("/login").header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https://app.example.com http://localhost:3000;") {
		t.Errorf("form-action does not allow the redirect to the allowed origins: %s", csp)
	}
}

func TestProtectedPathRedirectsBrowsersAndAnswersScriptsWithJSON(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withLoginPage())
	const html = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	cases := []struct {
		name     string
		header   []string
		redirect bool
	}{
		{"browser navigation", []string{"Accept", html, "Sec-Fetch-Mode", "navigate"}, true},
		{"old browser without fetch metadata", []string{"Accept", html}, true},
		{"XHR", []string{"Accept", html, "X-Requested-With", "XMLHttpRequest"}, false},
		{"fetch", []string{"Accept", "*/*", "Sec-Fetch-Mode", "cors"}, false},
		{"fetch accepting HTML", []string{"Accept", html, "Sec-Fetch-Mode", "cors"}, false},
		{"same-origin fetch", []string{"Accept", html, "Sec-Fetch-Mode", "same-origin"}, false},
		{"image", []string{"Accept", "image/avif,image/webp,*/*", "Sec-Fetch-Mode", "no-cors"}, false},
		{"JSON client", []string{"Accept", "application/json"}, false},
		{"JSON and HTML", []string{"Accept", "application/json, text/html"}, false},
		{"no Accept", nil, false},
		{"curl", []string{"Accept", "*/*"}, false},
	}
	for _, tc := range cases {
		r := noFollow(t, e, "/app/data?x=1&access_token=", tc.header...)
		if tc.redirect {
			if r.status != 303 || r.header.Get("Location") != "/login?return=%2Fapp%2Fdata%3Fx%3D1" {
				t.Errorf("%s: want 303 to the login page, got %d %s", tc.name, r.status, r.header.Get("Location"))
			}
			continue
		}
		if r.status != 401 || r.code() != 1060 || r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: want 401/1060 JSON, got %d %s", tc.name, r.status, r.raw)
		}
	}
	// A bad token: browsers are told their session ended.
	r := noFollow(t, e, "/app", "Accept", html, "Authorization", "Bearer not.a.token")
	if r.status != 303 || r.header.Get("Location") != "/login?reason=expired&return=%2Fapp" {
		t.Errorf("browser with a bad token: %d %s", r.status, r.header.Get("Location"))
	}
	// A blocked account: browsers are told so on the login page.
	e.createAccount(testEmail, testPIN)
	b := newBrowser(t, e)
	b.passwordLogin("", testEmail, testPass)
	uid := sessionOf(t, e.gw.page, b.cookies[sessionCookie]).UID
	if r := e.do("PUT", "/identity/v2/manage/account/"+uid+"?apikey="+testKey+"&apisecret="+testSecret, map[string]any{"IsActive": false}); r.status != 200 {
		t.Fatalf("block the account: %d %s", r.status, r.raw)
	}
	// Blocking revoked the session: the browser is sent to log in again,
	// and the password then says why it cannot.
	blocked := b.get("/app")
	if blocked.status != 303 || blocked.header.Get("Location") != "/login?reason=expired&return=%2Fapp" {
		t.Errorf("browser of a blocked account: %d %s", blocked.status, blocked.header.Get("Location"))
	}
	if p := b.passwordLogin("?mode=password", testEmail, testPass); p.status != 403 || !strings.Contains(p.alert(), "This account is blocked") {
		t.Errorf("password login of a blocked account: %d %q", p.status, p.alert())
	}
	// A token that is still valid while the account is blocked (991).
	w := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/app?a=1", nil)
	req.Header.Set("Accept", html)
	if !e.gw.page.RedirectToLogin(w, req, lrerr.New(lrerr.CodeAccountBlocked)) || w.Header().Get("Location") != "/login?reason=blocked&return=%2Fapp%3Fa%3D1" {
		t.Errorf("991 for a browser: %d %s", w.Code, w.Header().Get("Location"))
	}
	// Without a login page browsers get the JSON too.
	plain := newTestEnv(t)
	if r := noFollow(t, plain, "/app", "Accept", html); r.status != 401 || r.code() != 1060 {
		t.Errorf("no login page: %d %s", r.status, r.raw)
	}
	if len(e.upstream.calls())+len(plain.upstream.calls()) != 0 {
		t.Fatal("an unauthenticated request reached the upstream")
	}
}

var (
	inlineScriptRE = regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`)
	scriptTagRE    = regexp.MustCompile(`<script[^>]*>`)
)

func TestLoginPageHeadersAndMarkupFollowTheStrictPolicy(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withLoginPage())
	e.createAccount(testEmail, "")
	b := newBrowser(t, e)
	pages := map[string]page{"login": b.get("/login?return=/x"), "not found": b.get("/login/nope")}
	pages["setpin"] = b.submit(pages["login"], "/login", "identifier", testEmail, "password", testPass)
	if r := b.submit(pages["setpin"], "/login/setpin", "pin", testPIN, "confirm", testPIN); r.status != 303 {
		t.Fatalf("set PIN: %d %q", r.status, r.alert())
	}
	pages["signed in"] = b.get("/login")
	delete(b.cookies, sessionCookie)
	pages["pin"] = b.get("/login")
	for name, p := range pages {
		csp := p.header.Get("Content-Security-Policy")
		for _, d := range []string{"default-src 'none'", "script-src 'self';", "style-src 'self';", "frame-ancestors 'none'", "form-action 'self'", "base-uri 'none'"} {
			if !strings.Contains(csp, d) {
				t.Errorf("%s: CSP lacks %q: %s", name, d, csp)
			}
		}
		if strings.Contains(csp, "unsafe") {
			t.Errorf("%s: CSP allows unsafe sources: %s", name, csp)
		}
		if p.header.Get("Cache-Control") != "no-store" || p.header.Get("X-Frame-Options") != "DENY" ||
			p.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", name, p.header)
		}
		if inlineScriptRE.MatchString(p.body) || strings.Contains(p.body, "<style") || strings.Contains(p.body, " style=") ||
			regexp.MustCompile(` on[a-z]+=`).MatchString(p.body) {
			t.Errorf("%s: inline script or style in the markup", name)
		}
		for _, tag := range scriptTagRE.FindAllString(p.body, -1) {
			if !strings.Contains(tag, `src="/login/assets/`) {
				t.Errorf("%s: external or inline script %s", name, tag)
			}
		}
		if regexp.MustCompile(`(?:href|src)="(?:https?:)?//`).MatchString(p.body) {
			t.Errorf("%s: references an external asset", name)
		}
	}
	// Accessibility basics: every input has a label, errors are announced.
	login := pages["login"].body
	for _, id := range []string{"identifier", "password"} {
		if !strings.Contains(login, `<label for="`+id+`">`) || !strings.Contains(login, `id="`+id+`"`) {
			t.Errorf("input %s has no label", id)
		}
	}
	if !strings.Contains(login, `role="alert" aria-live="assertive"`) || !strings.Contains(login, `<html lang="en">`) {
		t.Error("no live region for errors, or no page language")
	}
	pin := pages["pin"].body
	for _, want := range []string{`inputmode="numeric"`, `autocomplete="off"`, `<label for="pin">`, `aria-label="Keypad"`, `aria-label="Delete the last digit"`} {
		if !strings.Contains(pin, want) {
			t.Errorf("PIN pad lacks %s", want)
		}
	}
	if css := b.get("/login/assets/style.css"); css.status != 200 || css.header.Get("Cache-Control") != "public, max-age=86400" {
		t.Errorf("style.css: %d %v", css.status, css.header)
	}
	if r := b.do("PUT", "/login", nil); r.status != http.StatusMethodNotAllowed {
		t.Errorf("PUT /login: %d", r.status)
	}
}

// noFollow sends a GET with the given headers and returns the response
// without following a redirect.
func noFollow(t *testing.T, e *testEnv, path string, header ...string) response {
	t.Helper()
	req, err := http.NewRequest("GET", e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &out.body)
	return out
}
