package tests

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// pageClient is one browser's view of the login page over HTTP: it keeps
// its cookies by name (every request goes to the one site), sends the Host
// the browser would, and never follows redirects.
type pageClient struct {
	g       *gateway
	host    string
	cookies map[string]string
}

func newPageClient(g *gateway, host string) *pageClient {
	return &pageClient{g: g, host: host, cookies: map[string]string{}}
}

// send makes one request; header holds name, value pairs.
func (c *pageClient) send(method, path string, form url.Values, header ...string) response {
	c.g.t.Helper()
	var body string
	if form != nil {
		body = form.Encode()
	}
	req, err := http.NewRequestWithContext(c.g.t.Context(), method, c.g.base+path, strings.NewReader(body))
	if err != nil {
		c.g.t.Fatal(err)
	}
	req.Host = c.host
	req.Header.Set("Accept", "text/html")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	var jar []string
	for k, v := range c.cookies {
		jar = append(jar, k+"="+v)
	}
	if len(jar) > 0 {
		req.Header.Set("Cookie", strings.Join(jar, "; "))
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		c.g.t.Fatalf("%s %s: %v", method, path, err)
	}
	r, err := newResponse(resp)
	if err != nil {
		c.g.t.Fatal(err)
	}
	for _, sc := range resp.Cookies() {
		if sc.MaxAge < 0 {
			delete(c.cookies, sc.Name)
		} else {
			c.cookies[sc.Name] = sc.Value
		}
	}
	return r
}

// sameOrigin are the headers a browser sends with a form of the page
// itself.
func (c *pageClient) sameOrigin() []string {
	return []string{"Origin", "http://" + c.host, "Sec-Fetch-Site", "same-origin"}
}

var csrfFieldRE = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// formToken GETs path and returns the CSRF token of its form.
func (c *pageClient) formToken(path string) string {
	c.g.t.Helper()
	r := c.send("GET", path, nil)
	m := csrfFieldRE.FindStringSubmatch(r.raw)
	if r.status != 200 || m == nil {
		c.g.t.Fatalf("GET %s: %d without a CSRF field: %s", path, r.status, r.raw)
	}
	return html.UnescapeString(m[1])
}

// logIn logs in through the password form as a user of the page would.
func (c *pageClient) logIn(ident, pw string) {
	c.g.t.Helper()
	r := c.send("POST", "/login", url.Values{"csrf": {c.formToken("/login")}, "identifier": {ident}, "password": {pw}},
		c.sameOrigin()...)
	if r.status != 303 || c.cookies[csrfSession] == "" {
		c.g.t.Fatalf("login of %s through the page: %d %s", ident, r.status, r.raw)
	}
}

// The insecure login page's cookie names.
const (
	csrfSession = "pinauth"
	csrfNonce   = "pinauth-csrf"
)

// TestLoginPageCSRFWithANoncePlantedByASiblingHost replays issue 15's
// finding 12 on real Caddy over HTTP, with `cookie { domain …; insecure }`
// so that, as with any shared domain, a sibling host (evil.pinauth.test)
// can set the page's cookies in the victim's browser. The attacker fetches
// the page itself, so it knows a nonce and the tokens the page mints for
// it, plants that nonce in the victim's browser, and makes the browser
// post the form from the sibling host: a login into the attacker's account
// (login CSRF) and a logout of the victim (logout CSRF). Both are refused
// and change nothing, with the headers a browser sends from a sibling page
// and, for the logout, without them too (the token names the attacker's
// session, not the victim's). The nonce is replaced at login and at
// logout, and the victim's own forms keep working.
func TestLoginPageCSRFWithANoncePlantedByASiblingHost(t *testing.T) {
	t.Parallel()
	g := startGateway(t, func(s *siteConfig) {
		s.Extra = "login_page\n\t\tcookie {\n\t\t\tdomain pinauth.test\n\t\t\tinsecure\n\t\t}"
	})
	g.createAccount(pin)
	const attackerEmail, attackerPassword = "mallory@example.com", "mallory's own long password"
	if r := g.do("POST", apiPrefix+"/manage/account?"+g.manage(), map[string]any{
		"Email":    []map[string]string{{"Type": "Primary", "Value": attackerEmail}},
		"Password": attackerPassword, "PINInfo": map[string]string{"PIN": "2468"},
	}); r.status != 200 {
		t.Fatalf("create the attacker's account: %d %s", r.status, r.raw)
	}
	port := strconv.Itoa(g.site.Port)
	host := "login.pinauth.test:" + port
	// What a browser sends with a form auto-submitted by a page of the
	// sibling host: same site, another origin.
	fromSibling := []string{"Origin", "http://evil.pinauth.test:" + port, "Sec-Fetch-Site", "same-site"}
	oldBrowserFromSibling := []string{"Origin", "http://evil.pinauth.test:" + port}

	attacker := newPageClient(g, host)
	loginToken := attacker.formToken("/login")
	planted := attacker.cookies[csrfNonce]

	t.Run("login CSRF into the attacker's account", func(t *testing.T) {
		for name, headers := range map[string][]string{"fetch metadata": fromSibling, "Origin only": oldBrowserFromSibling} {
			victim := newPageClient(g.in(t), host)
			victim.cookies[csrfNonce] = planted
			r := victim.send("POST", "/login", url.Values{"csrf": {loginToken}, "identifier": {attackerEmail},
				"password": {attackerPassword}}, headers...)
			if r.status != 403 || victim.cookies[csrfSession] != "" {
				t.Errorf("%s: the sibling's login form got %d and session cookie %t, want 403 and none",
					name, r.status, victim.cookies[csrfSession] != "")
			}
		}
	})

	victim := newPageClient(g, host)
	victim.formToken("/login")
	before := victim.cookies[csrfNonce]
	victim.logIn(email, password)
	if n := victim.cookies[csrfNonce]; n == "" || n == before {
		t.Errorf("the CSRF nonce was not replaced at login")
	}
	victimOK := func(t *testing.T, what string) {
		t.Helper()
		r := victim.send("GET", "/app/data", nil)
		if r.status != 200 || r.raw != upstreamBody {
			t.Fatalf("%s: the victim's session no longer reaches the app: %d %s", what, r.status, r.raw)
		}
	}
	victimOK(t, "after login")

	t.Run("logout CSRF of the victim", func(t *testing.T) {
		attacker.logIn(attackerEmail, attackerPassword)
		logoutToken := attacker.formToken("/login/logout")
		planted := attacker.cookies[csrfNonce]
		for name, headers := range map[string][]string{"fetch metadata": fromSibling, "no browser headers": nil} {
			saved := victim.cookies[csrfNonce]
			victim.cookies[csrfNonce] = planted
			r := victim.send("POST", "/login/logout", url.Values{"csrf": {logoutToken}}, headers...)
			if r.status != 403 {
				t.Errorf("%s: the attacker's logout form got %d, want 403", name, r.status)
			}
			victimOK(t, name)
			victim.cookies[csrfNonce] = saved
		}
	})

	before = victim.cookies[csrfNonce]
	r := victim.send("POST", "/login/logout", url.Values{"csrf": {victim.formToken("/login/logout")}}, victim.sameOrigin()...)
	if r.status != 303 || !strings.Contains(r.header.Get("Location"), "reason=loggedout") {
		t.Fatalf("the victim's own logout: %d %s", r.status, r.header.Get("Location"))
	}
	if n := victim.cookies[csrfNonce]; n == "" || n == before {
		t.Errorf("the CSRF nonce was not replaced at logout")
	}
	if r := victim.send("GET", "/app/data", nil); r.status == 200 {
		t.Errorf("after the victim's own logout the app is still reachable")
	}
}
