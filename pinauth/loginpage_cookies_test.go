package pinauth

import (
	"strings"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/loginpage"
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
			if c := in.cookie(tc.pin); c == nil || c.MaxAge != int(config.DefaultSessionTTL/time.Second) {
				t.Errorf("PIN-device cookie should live as long as the PIN session (%s): %v", config.DefaultSessionTTL, c)
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
