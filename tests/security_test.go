package tests

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/notifytest"
)

// The security regression suite: each attack named in SECURITY.md, sent to
// a real Caddy, and what must (not) happen. Other files cover some of these
// in depth (tokens_test.go, forged_test.go, headerpreset_test.go,
// bruteforce_test.go); the security_*_test.go files are the one list to
// check them against: this one for identity headers, login page cookies and
// reset links, security_tokens_test.go for forged tokens,
// security_input_test.go for hostile bodies and input.

// A second tenant, for cross-tenant attempts.
const (
	otherTenant = "other"
	otherKey    = "e2e-other-api-key"
	otherSecret = "e2e-other-api-secret"
)

// withOtherTenant adds the second tenant to a site.
func withOtherTenant(s *siteConfig) {
	s.Extra += "\n\t\ttenant " + otherTenant + " {\n\t\t\tapi_key " + otherKey + "\n\t\t\tapi_secret " + otherSecret + "\n\t\t}"
}

func TestSecurityForgedIdentityHeadersInEverySpellingNeverReachTheUpstream(t *testing.T) {
	t.Parallel()
	g := startGateway(t, func(s *siteConfig) { s.Extra = "public /healthz" })
	login, uid := g.loggedIn()
	forged := append(append([]string{}, forgedSpellings...), forgedPresetSpellings...)
	forged = append(forged, "X-AUTH-EMAIL: attacker@evil.test", "x-Auth-Session: attacker", "X-Auth-Name: attacker")
	for _, c := range []struct {
		name, path string
		token      bool
	}{
		{"protected path with a token", "/app/admin", true},
		{"public path with a token", "/healthz", true},
		{"public path without a token", "/healthz", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := g.in(t)
			headers := forged
			if c.token {
				headers = append([]string{"Authorization: Bearer " + login.str("access_token")}, forged...)
			}
			if r := g.raw(rawRequest("GET", c.path, g.hostHeader(), headers, "")); r.status != 200 || r.raw != upstreamBody {
				t.Fatalf("%d %s", r.status, r.raw)
			}
			got := g.up.last(t).Header
			for name, vals := range got {
				for _, v := range vals {
					if strings.Contains(v, "attacker") || v == "superuser" || v == "admins" || v == "forged" {
						t.Errorf("a forged value reached the upstream: %s: %s", name, v)
					}
				}
			}
			wantUID := ""
			if c.token {
				wantUID = uid
			}
			if v := got.Values("X-Auth-Uid"); wantUID != "" && (len(v) != 1 || v[0] != wantUID) || wantUID == "" && len(v) != 0 {
				t.Errorf("upstream X-Auth-Uid = %q, want %q", v, wantUID)
			}
		})
	}
	t.Run("protected path without a token", func(t *testing.T) {
		g := g.in(t)
		before := len(g.up.requests())
		g.raw(rawRequest("GET", "/app/admin", g.hostHeader(), forged, "")).wantError(t, 401, 1060)
		if len(g.up.requests()) != before {
			t.Fatal("the upstream was called")
		}
	})
}

// setCookieRE finds the name and value of a Set-Cookie header.
var setCookieRE = regexp.MustCompile(`^([^=;\s]+)=([^;]*)`)

// pageLogin logs the test account in through the login page: GET it with
// the return target, post the password form, and return the answer to the
// post and the cookies set along the way.
func (g *gateway) pageLogin(ret string) (response, map[string]string) {
	g.t.Helper()
	cookies := map[string]string{}
	keep := func(r response) {
		for _, sc := range r.header.Values("Set-Cookie") {
			if m := setCookieRE.FindStringSubmatch(sc); m != nil {
				cookies[m[1]] = m[2]
			}
		}
	}
	cookieHeader := func() string {
		var parts []string
		for k, v := range cookies {
			parts = append(parts, k+"="+v)
		}
		return strings.Join(parts, "; ")
	}
	form := g.do("GET", "/login?return="+url.QueryEscape(ret), nil, "Accept", "text/html")
	if form.status != 200 {
		g.t.Fatalf("login page: %d %s", form.status, form.raw)
	}
	keep(form)
	m := regexp.MustCompile(`name="csrf" value="([^"]*)"`).FindStringSubmatch(form.raw)
	if m == nil {
		g.t.Fatalf("no CSRF field on the login page: %s", form.raw)
	}
	values := url.Values{"csrf": {html.UnescapeString(m[1])}, "return": {ret}, "identifier": {email}, "password": {password}}
	r := g.do("POST", "/login", []byte(values.Encode()), "Content-Type", "application/x-www-form-urlencoded",
		"Cookie", cookieHeader(), "Accept", "text/html")
	keep(r)
	return r, cookies
}

func TestSecurityLoginPageCookiesNeverReachTheUpstreamAndReturnTargetsStayOnSite(t *testing.T) {
	t.Parallel()
	g := startGateway(t, func(s *siteConfig) {
		s.Extra = "login_page"
		s.TenantExtra = "allowed_origins https://app.example.com"
	})
	g.createAccount(pin)

	r, cookies := g.pageLogin("/app/after")
	if r.status != 303 || r.header.Get("Location") != "/app/after" {
		t.Fatalf("login through the page: %d Location %q", r.status, r.header.Get("Location"))
	}
	var session string
	for name := range cookies {
		if strings.HasSuffix(name, "pinauth") {
			session = name
		}
	}
	if session == "" {
		t.Fatalf("no session cookie among %v", cookies)
	}
	var all []string
	for k, v := range cookies {
		all = append(all, k+"="+v)
	}
	all = append(all, "theme=dark")
	p := g.do("GET", "/app/data", nil, "Cookie", strings.Join(all, "; "))
	if p.status != 200 || p.raw != upstreamBody {
		t.Fatalf("the session cookie did not open the protected path: %d %s", p.status, p.raw)
	}
	got := g.up.last(t).Header
	if c := got.Values("Cookie"); len(c) != 1 || c[0] != "theme=dark" {
		t.Fatalf("upstream Cookie = %q, want only the app's theme=dark", c)
	}
	if got.Get("X-Auth-Uid") == "" {
		t.Fatal("the upstream got no identity")
	}

	t.Run("return targets off the site become /", func(t *testing.T) {
		for _, ret := range []string{
			"//evil.com/x", "/\\evil.com", "/%2F%2Fevil.com", "/%252F%252Fevil.com", "https://evil.com/",
			"https://app.example.com@evil.com/", "https://app.example.com.evil.com/", "javascript:alert(1)",
			"/\t/evil.com", "http://app.example.com/", "https:evil.com",
		} {
			g := g.in(t)
			r, _ := g.pageLogin(ret)
			if r.status != 303 || r.header.Get("Location") != "/" {
				t.Errorf("return %q: %d Location %q, want 303 to /", ret, r.status, r.header.Get("Location"))
			}
		}
		if r, _ := g.in(t).pageLogin("https://app.example.com/dash"); r.header.Get("Location") != "https://app.example.com/dash" {
			t.Errorf("the allowed origin: Location %q", r.header.Get("Location"))
		}
	})
}

func TestSecurityResetPINLinksNeverPointOffTheTenantsOrigins(t *testing.T) {
	t.Parallel()
	smtp := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{Username: smtpUser, Password: smtpPass})
	sms := notifytest.NewSMSServer(t, smsSID, smsToken)
	g := resetGateway(t, smtp, sms, "", "")
	g.createAccount(pin)
	for _, bad := range []string{
		"https://evil.example.com/reset-pin", "//evil.example.com/reset-pin", "/reset-pin",
		resetOrigin + "@evil.example.com/reset-pin", resetOrigin + ".evil.example.com/reset-pin",
		"http://app.example.com/reset-pin", resetOrigin + ":8443/reset-pin", "https:app.example.com/reset-pin",
		"https://evil.example.com\\@app.example.com/", "javascript:alert(1)//" + resetOrigin, "https://app.example.com%2F@evil.example.com/",
	} {
		g.in(t).forgot("email", "email", email, "&resetpinurl="+url.QueryEscape(bad)).wantError(t, 403, 1248)
	}
	// The allowed origin, in another case: accepted, and the one mail
	// sent is this one (the refused calls queued none before it).
	wantPosted(t, "forgot with the allowed origin", g.forgot("email", "email", email, "&resetpinurl="+url.QueryEscape("HTTPS://App.Example.com/reset-pin")))
	m := smtp.WaitMails(t, 1, messageWait)
	em, err := notifytest.ParseEmail(m[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(em.Text, "/reset-pin?") || strings.Contains(em.Text, "evil") {
		t.Fatalf("the reset mail's link is not on the allowed origin:\n%s", em.Text)
	}
	if n := len(smtp.Mails()); n != 1 {
		t.Fatalf("%d mails sent, want only the allowed one", n)
	}
}
