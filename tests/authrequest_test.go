package tests

import (
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The auth-request endpoint (issue 21): other proxies, started from the
// configurations of docs/auth-request.md, ask a pin_auth gateway about
// every request. The checks here are the same for every proxy.

// authPath is where the guide's gateway answers auth requests.
const authPath = "/_pinauth/verify"

// The addresses the guide's proxy configurations name, replaced by the
// test's real ones.
const (
	guideApp     = "127.0.0.1:9000"
	guideGateway = "127.0.0.1:8080"
)

// authGuideBlock returns the first block of docs/auth-request.md fenced as
// lang under the heading (## level).
func authGuideBlock(t *testing.T, heading, lang string) string {
	t.Helper()
	b, err := os.ReadFile("../docs/auth-request.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)\n## " + regexp.QuoteMeta(heading) + "\n.*?```" + lang + "\n(.*?)```\n").FindSubmatch(b)
	if m == nil {
		t.Fatalf("docs/auth-request.md has no %s block under %q", lang, heading)
	}
	return string(m[1])
}

// fromGuide is a guide's proxy configuration with the test's addresses.
func fromGuide(t *testing.T, block string, replace ...string) string {
	t.Helper()
	for i := 0; i+1 < len(replace); i += 2 {
		if !strings.Contains(block, replace[i]) {
			t.Fatalf("the guide's configuration no longer names %q", replace[i])
		}
		block = strings.ReplaceAll(block, replace[i], replace[i+1])
	}
	return block
}

// startAuthGateway starts a gateway with the auth-request endpoint and the
// login page, trusting proxies on loopback; extra are more pin_auth
// subdirectives. Its own upstream must never be reached through a proxy.
func startAuthGateway(t *testing.T, extra string) *gateway {
	t.Helper()
	up := newUpstream(t)
	s := newSite(t, "\treverse_proxy "+up.addr())
	s.Extra = "auth_request " + authPath + "\n\t\tlogin_page\n\t\t" + extra
	const bind = "\tdefault_bind 127.0.0.1\n"
	conf := caddyfile(t, s)
	if !strings.Contains(conf, bind) {
		t.Fatal("the generated Caddyfile has no default_bind line to add trusted_proxies after")
	}
	conf = strings.Replace(conf, bind, bind+"\tservers {\n\t\ttrusted_proxies static 127.0.0.1/32\n\t}\n", 1)
	g := &gateway{t: t, site: s, up: up, base: baseURL(s.Port), log: &responseLog{}}
	g.proc = startCaddy(t, conf, []string{g.base + "/.well-known/jwks.json"})
	return g
}

// through returns a client of the proxy at base in front of app, sharing
// the gateway's tenant.
func (g *gateway) through(base string, app *upstream) *gateway {
	front := *g
	front.base, front.up = base, app
	return &front
}

// checkAuthProxy proves what issue 21 asks of every proxy (front) in front
// of an app and asking gw: a valid token reaches the app with the identity
// headers and nothing forged; without one, an API client gets 401 and a
// browser the login page; a public path passes anonymously without
// identity; a logout is honoured on the next request.
func checkAuthProxy(t *testing.T, gw, front *gateway) {
	login, uid := gw.loggedIn()
	access := login.str("access_token")
	forged := []string{"X-Auth-Uid", "attacker", "X-Auth-Roles", "root", "X-Auth-Tenant", "evil"}

	r := front.protected("/app/data?x=1", access, forged...)
	if r.status != 200 || r.raw != upstreamBody {
		t.Fatalf("valid token through the proxy: want the app's 200, got %d %s", r.status, r.raw)
	}
	seen := front.up.last(t)
	if seen.Path != "/app/data" || seen.RawQuery != "x=1" {
		t.Errorf("the app saw %s?%s, want /app/data?x=1", seen.Path, seen.RawQuery)
	}
	for name, want := range map[string]string{"X-Auth-Uid": uid, "X-Auth-Roles": "user,admin",
		"X-Auth-Tenant": tenantName, "X-Auth-Email": email, "Authorization": "Bearer " + access} {
		if got := seen.Header.Values(name); len(got) != 1 || got[0] != want {
			t.Errorf("the app's %s = %q, want only %q", name, got, want)
		}
	}

	if post := front.do("POST", "/app/orders", `{"item":1}`, withToken(access)...); post.status != 200 || front.up.last(t).Method != "POST" {
		t.Fatalf("a POST with a valid token: want the app's 200 for a POST, got %d %s", post.status, post.raw)
	}
	before := len(front.up.requests())
	front.do("POST", "/app/orders", `{"item":1}`, "Accept", "application/json").wantError(t, 401, 1060)
	noToken := front.do("GET", "/app/data?x=1", nil, append([]string{"Accept", "application/json"}, forged...)...)
	noToken.wantError(t, 401, 1060)
	if !strings.HasPrefix(noToken.header.Get("WWW-Authenticate"), "Bearer ") {
		t.Errorf("401 through the proxy without WWW-Authenticate: %v", noToken.header)
	}
	// A client naming another original request in either convention.
	spoofed := front.do("GET", "/app/data", nil, "Accept", "application/json", "X-Original-URI", "/healthz",
		"X-Original-Method", "GET", "X-Forwarded-Uri", "/healthz", "X-Forwarded-Method", "GET")
	if spoofed.status != 401 && spoofed.status != 400 {
		t.Errorf("a client naming a public original URI: want 401 (or 400), got %d %s", spoofed.status, spoofed.raw)
	}
	browser := front.do("GET", "/app/data?x=1", nil, "Accept", "text/html,application/xhtml+xml")
	if want := "/login?return=" + url.QueryEscape("/app/data?x=1"); browser.status != 303 || browser.header.Get("Location") != want {
		t.Errorf("a browser without a session: want 303 to %s, got %d %q", want, browser.status, browser.header.Get("Location"))
	}
	if n := len(front.up.requests()); n != before {
		t.Fatalf("requests without a token reached the app (%d)", n-before)
	}

	public := front.do("GET", "/healthz", nil, forged...)
	if public.status != 200 || public.raw != upstreamBody {
		t.Fatalf("a public path through the proxy: want the app's 200, got %d %s", public.status, public.raw)
	}
	if ids := identityHeaders(front.up.last(t).Header); len(ids) != 0 {
		t.Errorf("an anonymous request reached the app with identity headers: %v", ids)
	}

	if out := gw.do("GET", apiPrefix+"/auth/access_token/invalidate?apikey="+gw.key(), nil, withToken(access)...); out.status != 200 {
		t.Fatalf("logout: %d %s", out.status, out.raw)
	}
	front.protected("/app/data", access, "Accept", "application/json").wantError(t, 401, 905)
	if n := len(front.up.requests()); n != before+1 {
		t.Errorf("a logged-out token reached the app")
	}
	if len(gw.up.requests()) != 0 {
		t.Errorf("the gateway's own upstream was reached: the proxy must ask, not forward")
	}
}

// checkCorpusThroughProxy sends the path-confusion corpus of the
// protected path (pathcorpus_test.go) without a token through a proxy at
// host in front of raw: see checkCorpusReached.
func checkCorpusThroughProxy(t *testing.T, host string, raw *rawUpstream) {
	targets := append(slices.Clone(canonicalPublic), pathCorpus()...)
	statuses := sendCorpus(t, host, targets)
	reached := checkCorpusReached(t, targets, statuses, raw.requests())
	t.Logf("%d forms, %d reached the app", len(targets), reached)
}
