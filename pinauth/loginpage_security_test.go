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
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/loginpage"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/notify"
)

func TestLoginPageCookieAttributes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name               string
		cookie             loginpage.Cookie
		session, pin, csrf string
		secure             bool
		domain             string
	}{
		{"secure host-only", loginpage.Cookie{}, "__Host-pinauth", "__Host-pinauth-pin", "__Host-pinauth-csrf", true, ""},
		{"secure with domain", loginpage.Cookie{Name: "sso", Domain: "example.com"}, "__Secure-sso", "__Secure-sso-pin", "__Secure-sso-csrf", true, "example.com"},
		{"insecure for development", loginpage.Cookie{Name: "dev", Insecure: true}, "dev", "dev-pin", "dev-csrf", false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t, withLoginPage(func(lp *loginpage.Config) { lp.Cookie = tc.cookie }))
			e.createAccount(testEmail, testPIN)
			b := newBrowser(t, e)
			form := b.get("/login")
			in := b.submit(form, "/login", "identifier", testEmail, "password", testPass)
			if in.status != 303 {
				t.Fatalf("login: %d %q", in.status, in.alert())
			}
			raw := append(form.header.Values("Set-Cookie"), in.header.Values("Set-Cookie")...)
			for _, want := range []struct {
				name       string
				persistent bool
			}{{tc.session, false}, {tc.pin, true}, {tc.csrf, false}} {
				line := ""
				for _, l := range raw {
					if strings.HasPrefix(l, want.name+"=") {
						line = l
					}
				}
				if line == "" {
					t.Fatalf("no Set-Cookie for %s in %q", want.name, raw)
				}
				attrs := strings.Split(line, "; ")
				has := func(a string) bool {
					for _, x := range attrs[1:] {
						if strings.EqualFold(x, a) {
							return true
						}
					}
					return false
				}
				if !has("HttpOnly") || !has("SameSite=Lax") || !has("Path=/") {
					t.Errorf("%s: want HttpOnly, SameSite=Lax, Path=/: %s", want.name, line)
				}
				if has("Secure") != tc.secure {
					t.Errorf("%s: Secure = %v, want %v: %s", want.name, has("Secure"), tc.secure, line)
				}
				if tc.domain == "" && strings.Contains(strings.ToLower(line), "domain=") {
					t.Errorf("%s: host-only cookie has a Domain: %s", want.name, line)
				}
				if tc.domain != "" && !has("Domain="+tc.domain) {
					t.Errorf("%s: want Domain=%s: %s", want.name, tc.domain, line)
				}
				if got := strings.Contains(line, "Max-Age="); got != want.persistent {
					t.Errorf("%s: persistent = %v, want %v: %s", want.name, got, want.persistent, line)
				}
			}
			if c := in.cookie(tc.pin); c == nil || c.MaxAge != int(DefaultSessionTTL/time.Second) {
				t.Errorf("PIN-device cookie should live as long as the PIN session (%s): %v", DefaultSessionTTL, c)
			}
			// The credentials are sealed: the raw tokens are not in them.
			for _, l := range raw {
				if strings.Count(l, ".") >= 2 && strings.Contains(l, "eyJ") {
					t.Errorf("a cookie carries a readable JWT: %s", l)
				}
			}
		})
	}
}

func TestLoginPageSealedCookiesResistTamperingAndSwapping(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withLoginPage())
	e.createAccount(testEmail, testPIN)
	b := newBrowser(t, e)
	b.passwordLogin("", testEmail, testPass)
	session, device := b.cookies[sessionCookie], b.cookies[pinCookie]

	flip := func(s string) string {
		c := []byte(s)
		if c[20] == 'A' {
			c[20] = 'B'
		} else {
			c[20] = 'A'
		}
		return string(c)
	}
	for name, jar := range map[string]map[string]string{
		"tampered session":          {sessionCookie: flip(session)},
		"PIN cookie as session":     {sessionCookie: device},
		"session cookie as the PIN": {pinCookie: session},
		"garbage":                   {sessionCookie: "not-base64!!", pinCookie: "%%%"},
	} {
		c := newBrowser(t, e)
		c.cookies = jar
		if p := c.get("/app/data"); p.status != 303 {
			t.Errorf("%s: protected page answered %d, want a redirect to log in", name, p.status)
		}
		if p := c.get("/login"); strings.Contains(p.body, `id="pin-form"`) {
			t.Errorf("%s: a forged cookie unlocked the PIN pad", name)
		}
	}
}

func TestLoginPageFormsRequireAValidCSRFToken(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withLoginPage())
	uid := e.createAccount(testEmail, testPIN)
	b := newBrowser(t, e)
	form := b.get("/login")
	good := form.hidden()
	if good.Get("csrf") == "" || b.cookies[csrfCookie] == "" {
		t.Fatalf("login form has no CSRF token or cookie")
	}
	other := newBrowser(t, e)
	otherToken := other.get("/login").hidden().Get("csrf")

	creds := func(csrf string) url.Values {
		v := url.Values{"identifier": {testEmail}, "password": {testPass}}
		if csrf != "" {
			v.Set("csrf", csrf)
		}
		return v
	}
	cases := []struct {
		name    string
		path    string
		form    url.Values
		noNonce bool
	}{
		{"missing token", "/login", creds(""), false},
		{"garbage token", "/login", creds("AAAA"), false},
		{"another browser's token", "/login", creds(otherToken), false},
		{"no CSRF cookie", "/login", creds(good.Get("csrf")), true},
		{"PIN form without token", "/login/pin", url.Values{"pin": {testPIN}}, false},
		{"set-PIN form without token", "/login/setpin", url.Values{"pin": {"4821"}, "confirm": {"4821"}}, false},
		{"logout without token", "/login/logout", url.Values{}, false},
	}
	for _, tc := range cases {
		c := &browser{t: t, e: e, cookies: map[string]string{}}
		for k, v := range b.cookies {
			if !(tc.noNonce && k == csrfCookie) {
				c.cookies[k] = v
			}
		}
		p := c.post(tc.path, tc.form)
		if p.status != 403 || !strings.Contains(p.body, "This form has expired") {
			t.Errorf("%s: want the 403 page, got %d %q", tc.name, p.status, p.alert())
		}
		if p.cookie(sessionCookie) != nil {
			t.Errorf("%s: a refused form set a session cookie", tc.name)
		}
	}
	if att := e.attempts(uid); att.Failures != 0 {
		t.Fatalf("refused forms reached the credential check: %d failures counted", att.Failures)
	}
	if p := b.post("/login", creds(good.Get("csrf"))); p.status != 303 {
		t.Fatalf("the valid token was refused: %d %q", p.status, p.alert())
	}
}

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

func TestLoginPageCookiesNeverReachTheUpstream(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withLoginPage())
	uid := e.createAccount(testEmail, testPIN)
	b := newBrowser(t, e)
	b.passwordLogin("", testEmail, testPass)
	bs, ok := openSession(e.gw.page, b.cookies[sessionCookie])
	if !ok {
		t.Fatal("the session cookie does not open")
	}

	jar := "theme=dark; " + sessionCookie + "=" + b.cookies[sessionCookie] + "; a=1;b=2; " +
		pinCookie + "=" + b.cookies[pinCookie] + "; " + csrfCookie + "=" + b.cookies[csrfCookie] +
		"; pinauth=unprefixed; __Secure-pinauth-pin=x; pinauthx=keep"
	r := e.do("GET", "/app/data", nil, "Cookie", jar, "Accept", "text/html")
	if r.status != 200 {
		t.Fatalf("protected request with the session cookie: %d %s", r.status, r.raw)
	}
	h := e.upstream.calls()[0]
	if got := h.Values("Cookie"); len(got) != 1 || got[0] != "theme=dark; a=1;b=2; pinauthx=keep" {
		t.Fatalf("upstream Cookie = %q, want the other cookies untouched and none of the gateway's", got)
	}
	if h.Get("X-Auth-Uid") != uid || h.Get("Authorization") != "Bearer "+bs.Access {
		t.Fatalf("upstream identity: uid %q, authorization %q", h.Get("X-Auth-Uid"), h.Get("Authorization"))
	}

	// Only gateway cookies: the header goes entirely. Also on public paths
	// and for anonymous requests.
	e2 := newTestEnv(t, withLoginPage(), func(c *Config) { c.Public = []string{"/pub/"} })
	e2.do("GET", "/pub/x", nil, "Cookie", sessionCookie+"=garbage; "+csrfCookie+"=n")
	if got := e2.upstream.calls()[0]; got.Get("Cookie") != "" {
		t.Fatalf("public path: upstream got Cookie %q", got.Get("Cookie"))
	}

	// forward_token false: the cookie's token is not forwarded either.
	e3 := newTestEnv(t, withLoginPage(), func(c *Config) { c.WithholdToken = true })
	e3.createAccount(testEmail, testPIN)
	b3 := newBrowser(t, e3)
	b3.passwordLogin("", testEmail, testPass)
	if p := b3.get("/app"); p.status != 200 {
		t.Fatalf("withheld token: %d", p.status)
	}
	if got := e3.upstream.calls()[0].Get("Authorization"); got != "" {
		t.Fatalf("forward_token false still forwarded %q", got)
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

// TestLoginPageAcceptsOnlyFormsFromItsOwnOrigin: with a valid token and
// nonce, a form still counts only when the browser says it came from a
// page of this origin. A sibling host is the same site, so SameSite=Lax
// sends the cookies along; Sec-Fetch-Site or Origin tells them apart.
func TestLoginPageAcceptsOnlyFormsFromItsOwnOrigin(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withLoginPage())
	e.createAccount(testEmail, testPIN)
	self := strings.TrimPrefix(e.srv.URL, "http://")
	cases := []struct {
		name    string
		headers []string
		ok      bool
	}{
		{"same-origin fetch metadata", []string{"Sec-Fetch-Site", "same-origin", "Origin", e.srv.URL}, true},
		{"typed or bookmarked (none)", []string{"Sec-Fetch-Site", "none"}, true},
		{"this origin, no fetch metadata", []string{"Origin", e.srv.URL}, true},
		{"no browser headers", nil, true},
		{"a sibling host (same-site)", []string{"Sec-Fetch-Site", "same-site", "Origin", "http://evil.example.com"}, false},
		{"another site", []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, false},
		{"same-site even with our Origin", []string{"Sec-Fetch-Site", "same-site", "Origin", e.srv.URL}, false},
		{"a sibling's Origin, no fetch metadata", []string{"Origin", "http://evil." + self}, false},
		{"an opaque origin", []string{"Origin", "null"}, false},
		{"another port", []string{"Origin", "http://" + strings.Split(self, ":")[0] + ":1"}, false},
	}
	for _, tc := range cases {
		b := newBrowser(t, e)
		form := b.get("/login").hidden()
		form.Set("identifier", testEmail)
		form.Set("password", testPass)
		p := b.post("/login", form, tc.headers...)
		if tc.ok && p.status != 303 {
			t.Errorf("%s: %d %q, want the login (303)", tc.name, p.status, p.alert())
		}
		if !tc.ok && (p.status != 403 || p.cookie(sessionCookie) != nil) {
			t.Errorf("%s: %d (session cookie %v), want the 403 page and no session", tc.name, p.status, p.cookie(sessionCookie) != nil)
		}
	}
}

// TestLoginPageTokensAreBoundToTheirSessionAndDieAtLoginAndLogout: a
// logout token works only with the session it was shown to, even when the
// nonce is the same (one planted by a sibling host); the nonce changes at
// login and at logout, so tokens made before either stop working.
func TestLoginPageTokensAreBoundToTheirSessionAndDieAtLoginAndLogout(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withLoginPage())
	e.createAccount(testEmail, testPIN)
	e.createAccount("mallory@example.com", testPIN)

	victim := newBrowser(t, e)
	loginForm := victim.get("/login")
	staleLogin := loginForm.hidden().Get("csrf")
	nonceBefore := victim.cookies[csrfCookie]
	if p := victim.submit(loginForm, "/login", "identifier", testEmail, "password", testPass); p.status != 303 {
		t.Fatalf("victim login: %d %q", p.status, p.alert())
	}
	if n := victim.cookies[csrfCookie]; n == "" || n == nonceBefore {
		t.Fatal("the nonce did not change at login")
	}
	if p := victim.post("/login", url.Values{"csrf": {staleLogin}, "identifier": {testEmail}, "password": {testPass}}); p.status != 403 {
		t.Errorf("a login token from before the login: %d, want 403", p.status)
	}

	attacker := newBrowser(t, e)
	if p := attacker.passwordLogin("", "mallory@example.com", testPass); p.status != 303 {
		t.Fatalf("attacker login: %d %q", p.status, p.alert())
	}
	attackerLogout := attacker.get("/login/logout").hidden().Get("csrf")
	victimLogout := victim.get("/login/logout").hidden().Get("csrf")
	// The attacker's nonce planted in the victim's browser, with the
	// attacker's token: refused, the victim stays logged in.
	saved := victim.cookies[csrfCookie]
	victim.cookies[csrfCookie] = attacker.cookies[csrfCookie]
	if p := victim.post("/login/logout", url.Values{"csrf": {attackerLogout}}); p.status != 403 {
		t.Fatalf("the attacker's logout token on the victim's session: %d, want 403", p.status)
	}
	victim.cookies[csrfCookie] = saved
	if p := victim.get("/login"); !strings.Contains(p.body, "You are logged in") {
		t.Fatal("the refused logout logged the victim out")
	}
	if p := victim.post("/login/logout", url.Values{"csrf": {victimLogout}}); p.status != 303 {
		t.Fatalf("the victim's own logout: %d %q", p.status, p.alert())
	}
	if n := victim.cookies[csrfCookie]; n == "" || n == saved {
		t.Fatal("the nonce did not change at logout")
	}
}
