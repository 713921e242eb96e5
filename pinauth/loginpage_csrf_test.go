package pinauth

import (
	"net/url"
	"strings"
	"testing"
)

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
