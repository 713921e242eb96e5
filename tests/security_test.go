package tests

import (
	"bufio"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"html"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/notifytest"
)

// The security regression suite: each attack named in SECURITY.md, sent to
// a real Caddy, and what must (not) happen. Other files cover some of these
// in depth (tokens_test.go, forged_test.go, headerpreset_test.go,
// bruteforce_test.go); this file is the one list to check them against.

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

// withSigningKey makes the site sign with an Ed25519 key the test holds,
// given as a {file.…} placeholder, so the test can mint tokens whose
// signatures are right and whose claims are wrong.
func withSigningKey(t *testing.T, key ed25519.PrivateKey) func(*siteConfig) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "signing.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return func(s *siteConfig) { s.Extra += "\n\t\tsigning_key {file." + path + "}" }
}

func TestSecurityTokensWithAWrongAlgorithmKeyClaimOrTenantAreRefused(t *testing.T) {
	t.Parallel()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, withOtherTenant, withSigningKey(t, key))
	login, uid := g.loggedIn()
	real := login.str("access_token")
	header, claims, _, _ := decodeJWT(t, real)
	edit := func(m map[string]any, kv ...any) map[string]any {
		c := maps.Clone(m)
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(c, kv[i].(string))
			} else {
				c[kv[i].(string)] = kv[i+1]
			}
		}
		return c
	}
	signed := func(h, c map[string]any) string {
		return signJWT(t, h, c, func(b []byte) []byte { return ed25519.Sign(key, b) })
	}
	now := time.Now().Unix()
	public := key.Public().(ed25519.PublicKey)

	// The control: the test's own signature over the real claims passes,
	// so every refusal below is about what was changed.
	if r := g.protected("/app", signed(header, claims)); r.status != 200 {
		t.Fatalf("a token the test signed with the right key and claims: %d %s", r.status, r.raw)
	}
	for _, c := range []struct {
		name, token string
		code        int
	}{
		{"alg none", signJWT(t, edit(header, "alg", "none"), claims, nil), 905},
		{"alg None without a signature part", strings.TrimSuffix(signJWT(t, edit(header, "alg", "None"), claims, nil), "."), 905},
		{"HS256 keyed with the published public key", signJWT(t, edit(header, "alg", "HS256"), claims, func(b []byte) []byte {
			m := hmac.New(sha256.New, public)
			m.Write(b)
			return m.Sum(nil)
		}), 905},
		{"wrong aud", signed(header, edit(claims, "aud", []string{"someone-else"})), 905},
		{"aud of two tenants", signed(header, edit(claims, "aud", []string{tenantName, otherTenant})), 905},
		{"wrong iss", signed(header, edit(claims, "iss", "https://evil.example")), 905},
		{"no iss", signed(header, edit(claims, "iss", nil)), 905},
		{"expired", signed(header, edit(claims, "exp", now-60, "iat", now-1000)), 906},
		{"no exp", signed(header, edit(claims, "exp", nil)), 905},
		{"not yet valid (nbf)", signed(header, edit(claims, "nbf", now+3600)), 905},
		{"issued in the future (iat)", signed(header, edit(claims, "iat", now+3600)), 905},
		{"kid pointing at nothing", signed(edit(header, "kid", "no-such-key"), claims), 905},
		{"no kid", signed(edit(header, "kid", nil), claims), 905},
		{"another account's sub", signed(header, edit(claims, "sub", "0123456789abcdef0123456789abcdef")), 905},
		{"an unknown session", signed(header, edit(claims, "sid", "00000000-0000-4000-8000-000000000000")), 905},
		{"a real token's signature on changed claims", func() string {
			parts := strings.Split(real, ".")
			other := strings.Split(signJWT(t, header, edit(claims, "sub", "x"), nil), ".")
			return parts[0] + "." + other[1] + "." + parts[2]
		}(), 905},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := g.in(t)
			r := g.protected("/app", c.token)
			r.wantError(t, 401, c.code)
			if a := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(a, "Bearer") {
				t.Errorf("WWW-Authenticate = %q, want Bearer…", a)
			}
			// The API refuses them the same way (403 there).
			g.do("GET", apiPrefix+"/auth/access_token/validate?apikey="+apiKey, nil, withToken(c.token)...).wantError(t, 403, c.code)
		})
	}

	t.Run("tenant A's token with tenant B's API key", func(t *testing.T) {
		g := g.in(t)
		b := "?apikey=" + otherKey
		tok := withToken(real)
		for _, call := range []struct{ method, path, body string }{
			{"GET", "/auth/access_token/validate" + b, ""},
			{"GET", "/auth/access_token" + b, ""},
			{"GET", "/auth/account" + b, ""},
			{"PUT", "/auth/account" + b, `{"FirstName":"Mallory"}`},
			{"PUT", "/auth/pin/change" + b, `{"oldPIN":"` + pin + `","newPIN":"5830"}`},
			{"PUT", "/auth/account/reauth/pin" + b, `{"PIN":"` + pin + `"}`},
			{"GET", "/auth/securityquestion/accesstoken" + b, ""},
			{"GET", "/auth/access_token/invalidate" + b, ""},
			{"GET", "/auth/access_token/validate" + b + "&access_token=" + url.QueryEscape(real), ""},
		} {
			var body any
			if call.body != "" {
				body = call.body
			}
			g.do(call.method, apiPrefix+call.path, body, tok...).wantError(t, 403, 905)
		}
		// B's API secret does not manage A's accounts, nor spend A's
		// refresh token.
		g.do("GET", apiPrefix+"/manage/account/"+uid+"?apikey="+otherKey+"&apisecret="+otherSecret, nil).wantError(t, 403, 938)
		g.do("GET", apiPrefix+"/manage/account/access_token/refresh?apikey="+otherKey+"&apisecret="+otherSecret+
			"&refresh_token="+url.QueryEscape(login.str("refresh_token")), nil).wantError(t, 403, 1217)
		// A's secret with B's key is B's secret check: refused.
		g.do("GET", apiPrefix+"/manage/account/"+uid+"?apikey="+otherKey+"&apisecret="+apiSecret, nil).wantError(t, 401, 902)
		// Nothing happened to A: the token, the PIN and the name are as
		// they were.
		if r := g.protected("/app", real); r.status != 200 {
			t.Fatalf("A's token after the attempts: %d %s", r.status, r.raw)
		}
		if a := g.account(uid); a["FirstName"] != "Alice" {
			t.Fatalf("A's FirstName is %v", a["FirstName"])
		}
		if r := g.pinLogin(login.str("session_token"), pin); r.status != 200 {
			t.Fatalf("A's PIN after the attempts: %d %s", r.status, r.raw)
		}
	})
	// The control token and the real one after the cross-tenant calls.
	if n := len(g.up.requests()); n != 2 {
		t.Fatalf("the upstream was called %d times; only the two genuine requests may reach it", n)
	}
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

func TestSecurityOversizedAndSlowBodiesGet413And408NeverA5xxOrAHang(t *testing.T) {
	t.Parallel()
	g := startGateway(t, func(s *siteConfig) { s.Extra = "login_page" })
	login, uid := g.loggedIn()
	token := login.str("access_token")
	big := `{"pin":"` + strings.Repeat("7", 1<<20) + `"}`
	q := "?apikey=" + apiKey + "&apisecret=" + apiSecret + "&session_token=" + login.str("session_token") + "&pinauthtoken=x"
	for _, c := range []struct{ method, path string }{
		{"POST", "/auth/login"}, {"POST", "/auth/login/pin"}, {"POST", "/auth/pin/set/pinauthtoken"},
		{"PUT", "/auth/pin/change"}, {"POST", "/auth/pin/change"}, {"PUT", "/auth/account/reauth/pin"},
		{"POST", "/manage/account"}, {"PUT", "/manage/account/" + uid}, {"POST", "/manage/account/" + uid + "/reauth/pin"},
		{"POST", "/auth/account/reauth/2fa/securityquestionanswer/verify"}, {"PUT", "/auth/account/2fa/securityquestionanswer"},
		{"PUT", "/auth/account"}, {"POST", "/auth/pin/forgot/email"}, {"PUT", "/auth/pin/reset/token"},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			g := g.in(t)
			r := g.do(c.method, apiPrefix+c.path+q, big, withToken(token)...)
			want := 965
			if c.method == "PUT" {
				want = 1079
			}
			r.wantError(t, 413, want)
		})
	}
	t.Run("a chunked body without a length", func(t *testing.T) {
		req, err := http.NewRequestWithContext(t.Context(), "POST", g.base+apiPrefix+"/auth/login?apikey="+apiKey,
			io.MultiReader(strings.NewReader(big), strings.NewReader(big)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := newResponse(resp)
		r.wantError(t, 413, 965)
	})
	t.Run("a login form", func(t *testing.T) {
		g := g.in(t)
		form := "identifier=" + strings.Repeat("a", 1<<20)
		r := g.do("POST", "/login", []byte(form), "Content-Type", "application/x-www-form-urlencoded", "Accept", "text/html")
		if r.status != 413 {
			t.Fatalf("an oversized login form: %d", r.status)
		}
	})

	t.Run("a body that stalls", func(t *testing.T) {
		t.Parallel()
		// Headers, then 10 of 1000 promised bytes, then nothing. The
		// gateway answers 408 once its 10s body timeout passes; the
		// bound here only keeps a broken build from hanging the suite.
		conn, err := net.Dial("tcp", g.hostHeader())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		start := time.Now()
		_ = conn.SetDeadline(start.Add(2 * time.Minute))
		head := "POST " + apiPrefix + "/auth/login?apikey=" + apiKey + " HTTP/1.1\r\nHost: " + g.hostHeader() +
			"\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(1000) + "\r\n\r\n" + `{"email":"`
		if _, err := io.WriteString(conn, head); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("no answer to a stalled body within 2 minutes: %v", err)
		}
		r, _ := newResponse(resp)
		r.wantError(t, 408, 965)
		if took := time.Since(start); took < 10*time.Second {
			t.Fatalf("answered after %s, before the 10s body timeout", took)
		}
	})
	for _, r := range g.seen() {
		if r.status >= 500 {
			t.Errorf("a 5xx: %d %s", r.status, r.raw)
		}
	}
}

func TestSecurityDuplicateKeysLookAlikeEmailsAndSQLishInputHaveNoEffect(t *testing.T) {
	t.Parallel()
	g := startGateway(t)
	uid := g.createAccount(pin)

	t.Run("duplicate keys, in any case or Unicode folding, are 400", func(t *testing.T) {
		g := g.in(t)
		for _, body := range []string{
			`{"email":"` + email + `","password":"wrong","password":"` + password + `"}`,
			`{"email":"` + email + `","password":"wrong","PASSWORD":"` + password + `"}`,
			`{"email":"` + email + `","password":"wrong","paſſword":"` + password + `"}`,
			`{"email":"mallory@example.com","Email":"` + email + `","password":"` + password + `"}`,
		} {
			g.do("POST", apiPrefix+"/auth/login?apikey="+apiKey, body).wantError(t, 400, 965)
		}
		for _, body := range []string{
			`{"Email":[{"Value":"m@example.com"}],"Password":"mallory pw","Roles":["user"],"roles":["admin"]}`,
			// Nested objects too: the second key must not win in one
			// reader and lose in another.
			`{"Email":[{"Value":"m@example.com","value":"` + email + `"}],"Password":"mallory pw"}`,
			`{"Email":[{"Value":"m@example.com"}],"Password":"mallory pw","PINInfo":{"PIN":"5830","pin":"2468"}}`,
		} {
			g.do("POST", apiPrefix+"/manage/account?"+g.manage(), body).wantError(t, 400, 965)
		}
		if r := g.do("GET", apiPrefix+"/manage/account?"+g.manage()+"&email=m%40example.com", nil); r.code() != 938 {
			t.Fatalf("a refused body created an account: %d %s", r.status, r.raw)
		}
	})

	t.Run("look-alike emails cannot be registered and do not log in", func(t *testing.T) {
		g := g.in(t)
		for _, lookAlike := range []string{
			strings.Replace(email, "a", "\u0430", 1), // Cyrillic а
			strings.Replace(email, "@", "\uFF20", 1), // fullwidth ＠
			strings.Replace(email, "a", "\uFF41", 1), // fullwidth ａ
			strings.Replace(email, "e", "\u0435", 1), // Cyrillic е
			strings.Replace(email, "i", "\u0130", 1), // dotted İ, which ToLower makes i
		} {
			r := g.do("POST", apiPrefix+"/manage/account?"+g.manage(), map[string]any{
				"Email": []map[string]string{{"Value": lookAlike}}, "Password": password})
			r.wantError(t, 403, 1134)
			g.do("POST", apiPrefix+"/auth/login?apikey="+apiKey, map[string]string{"email": lookAlike, "password": password}).wantError(t, 401, 966)
		}
		if r := g.do("POST", apiPrefix+"/auth/login?apikey="+apiKey, map[string]string{"email": strings.ToUpper(email), "password": password}); r.status != 200 {
			t.Fatalf("the canonical email in upper case: %d %s", r.status, r.raw)
		}
	})

	t.Run("SQL-ish input is stored and returned verbatim, and a NUL in a profile field is refused", func(t *testing.T) {
		g := g.in(t)
		const (
			sqlEmail    = "o'reilly+1=1--@example.com"
			sqlUser     = "admin'--;DROP_TABLE_accounts"
			sqlPassword = "' OR 1=1 --\"; DROP TABLE accounts; --\x00"
		)
		fields := map[string]any{
			"FirstName":    `"; DROP TABLE accounts; --`,
			"LastName":     "Smith' OR '1'='1",
			"Company":      `Robert'); DELETE FROM identifiers WHERE ('1'='1`,
			"CustomFields": map[string]any{"'; DROP TABLE sessions; --": "' UNION SELECT * FROM signing_keys --"},
		}
		body := map[string]any{
			"Email": []map[string]string{{"Type": "Primary", "Value": sqlEmail}}, "UserName": sqlUser,
			"Password": sqlPassword, "Roles": []string{"' OR 1=1 --", "x'y"},
		}
		maps.Copy(body, fields)
		// A NUL in a profile field is refused (issue 15, finding 7: no
		// control character is stored), in a value, a key or a role.
		for field, v := range map[string]any{
			"LastName":     "Smith\x00' OR '1'='1",
			"CustomFields": map[string]any{"nul\x00key": "v"},
			"Roles":        []string{"' OR 1=1 --", "x\x00y"},
		} {
			withNUL := maps.Clone(body)
			withNUL[field] = v
			g.do("POST", apiPrefix+"/manage/account?"+g.manage(), withNUL).wantError(t, 403, 1134)
		}
		r := g.do("POST", apiPrefix+"/manage/account?"+g.manage(), body)
		if r.status != 200 {
			t.Fatalf("create with SQL-ish fields: %d %s", r.status, r.raw)
		}
		sqlUID := r.str("Uid")
		got := g.account(sqlUID)
		for k, want := range fields {
			if !jsonEqual(t, got[k], want) {
				t.Errorf("%s came back as %#v, want %#v", k, got[k], want)
			}
		}
		if got["UserName"] != sqlUser || !jsonEqual(t, got["Roles"], []string{"' OR 1=1 --", "x'y"}) {
			t.Errorf("UserName %#v, Roles %#v", got["UserName"], got["Roles"])
		}
		if r := g.do("POST", apiPrefix+"/auth/login?apikey="+apiKey, map[string]string{"email": sqlEmail, "password": sqlPassword}); r.code() != 1243 {
			t.Fatalf("login with the SQL-ish email and password: %d %s", r.status, r.raw)
		}
		// Every lookup with SQL-ish text finds nothing and breaks nothing.
		for _, v := range []string{"' OR 1=1 --", "\" OR \"\"=\"", "x'; DROP TABLE accounts; --", "%00", "a\x00b"} {
			e := url.QueryEscape(v)
			g.do("GET", apiPrefix+"/manage/account?"+g.manage()+"&email="+e, nil).wantError(t, 403, 938)
			g.do("GET", apiPrefix+"/manage/account?"+g.manage()+"&username="+e, nil).wantError(t, 403, 938)
			g.do("GET", apiPrefix+"/manage/account/"+url.PathEscape(v)+"?"+g.manage(), nil).wantError(t, 403, 938)
			g.do("POST", apiPrefix+"/auth/login?apikey="+apiKey, map[string]string{"email": v, "password": v}).wantError(t, 401, 966)
			g.do("POST", apiPrefix+"/auth/login/pin?apikey="+apiKey+"&session_token="+e, map[string]string{"pin": pin}).wantError(t, 403, 1245)
			g.do("GET", apiPrefix+"/auth/access_token/validate?apikey="+apiKey+"&access_token="+e, nil).wantError(t, 403, 905)
			g.do("GET", apiPrefix+"/auth/account?apikey="+e, nil).wantError(t, 403, 901)
		}
		// The other account is untouched.
		if r := g.passwordLogin(); r.status != 200 {
			t.Fatalf("the first account after the SQL-ish input: %d %s", r.status, r.raw)
		}
		if a := g.account(uid); a["FirstName"] != "Alice" {
			t.Fatalf("the first account's FirstName: %v", a["FirstName"])
		}
	})

	t.Run("SQL-ish tokens, secrets and PINs get their catalogue error and count nothing", func(t *testing.T) {
		g := g.in(t)
		login := g.passwordLogin()
		if login.status != 200 {
			t.Fatalf("password login: %d %s", login.status, login.raw)
		}
		before := g.account(uid)
		tok := withToken(login.str("access_token"))
		key := "?apikey=" + apiKey
		for _, v := range []string{"' OR 1=1 --", "1' OR '1'='1", "0; DROP TABLE accounts", "\" OR \"\"=\"", "12\x0034"} {
			e := url.QueryEscape(v)
			// PINs: not digits, so 1134 before any hash or count.
			g.do("POST", apiPrefix+"/auth/login/pin"+key+"&session_token="+login.str("session_token"), map[string]string{"pin": v}).wantError(t, 403, 1134)
			g.do("PUT", apiPrefix+"/auth/pin/change"+key, map[string]string{"oldPIN": v, "newPIN": "5830"}, tok...).wantError(t, 403, 1134)
			g.do("PUT", apiPrefix+"/auth/pin/change"+key, map[string]string{"oldPIN": pin, "newPIN": v}, tok...).wantError(t, 403, 1134)
			g.do("PUT", apiPrefix+"/auth/account/reauth/pin"+key, map[string]string{"PIN": v}, tok...).wantError(t, 403, 1134)
			// Tokens and secrets: unknown, so refused.
			g.do("POST", apiPrefix+"/auth/pin/set/pinauthtoken"+key+"&pinauthtoken="+e, map[string]string{"pin": "5830"}).wantError(t, 403, 1239)
			g.do("GET", apiPrefix+"/auth/session_token/invalidate"+key+"&session_token="+e, nil).wantError(t, 403, 1245)
			g.do("PUT", apiPrefix+"/auth/pin/reset/token"+key, map[string]string{"ResetToken": v, "PIN": "5830"}).wantError(t, 403, 1248)
			g.do("GET", apiPrefix+"/manage/account/access_token/refresh"+key+"&apisecret="+apiSecret+"&refresh_token="+e, nil).wantError(t, 403, 1217)
			g.do("GET", apiPrefix+"/manage/account"+key+"&apisecret="+e+"&email="+url.QueryEscape(email), nil).wantError(t, 401, 902)
			if !strings.ContainsRune(v, 0) { // a NUL cannot be sent in a header
				g.do("GET", apiPrefix+"/manage/account"+key+"&email="+url.QueryEscape(email), nil, "X-LoginRadius-ApiSecret", v).wantError(t, 401, 902)
			}
			g.do("POST", apiPrefix+"/manage/account/"+uid+"/reauth/pin"+key+"&apisecret="+apiSecret,
				map[string]string{"secondfactorvalidationtoken": v}).wantError(t, 403, 1193)
		}
		// Twenty PIN checks with the first account's tokens, four times
		// the lockout: had any been counted, it would be locked now.
		after := g.account(uid)
		for _, k := range []string{"IsLoginLocked", "ModifiedDate", "NoOfLogins"} {
			if before[k] != after[k] {
				t.Errorf("SQL-ish input changed the account's %s from %v to %v", k, before[k], after[k])
			}
		}
		if r := g.pinLogin(login.str("session_token"), pin); r.status != 200 {
			t.Fatalf("the right PIN after the SQL-ish input: %d %s", r.status, r.raw)
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

// jsonEqual compares a decoded JSON value with a Go value by their JSON.
func jsonEqual(t *testing.T, got, want any) bool {
	t.Helper()
	a, err1 := json.Marshal(got)
	b, err2 := json.Marshal(want)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	return string(a) == string(b)
}
