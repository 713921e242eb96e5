package tests

import (
	"strconv"
	"strings"
	"testing"
)

// startStockCaddy runs the guide's forward_auth site — no pin_auth in it —
// on a second Caddy in front of app (host:port), asking the gateway gw,
// and returns its base URL.
func startStockCaddy(t *testing.T, gw *gateway, app string) string {
	t.Helper()
	port := freePort(t)
	site := fromGuide(t, authGuideBlock(t, "Caddy `forward_auth`", ""),
		"app.example.com {", ":"+strconv.Itoa(port)+" {",
		guideApp, app, guideGateway, gw.hostHeader())
	if strings.Contains(site, "pin_auth") {
		t.Fatal("the guide's forward_auth site uses pin_auth: it must work on a stock Caddy")
	}
	base := baseURL(port)
	startCaddy(t, globalOptions+site, []string{base + "/"})
	return base
}

// TestCaddyForwardAuthLetsOnlyValidTokensThroughWithTheirIdentity runs the
// guide's forward_auth site in front of a recording app: see
// checkAuthProxy.
func TestCaddyForwardAuthLetsOnlyValidTokensThroughWithTheirIdentity(t *testing.T) {
	t.Parallel()
	gw := startAuthGateway(t, "public "+strings.Join(corpusPublic, " "))
	app := newUpstream(t)
	checkAuthProxy(t, gw, gw.through(startStockCaddy(t, gw, app.addr()), app))
}

// TestCaddyForwardAuthPassesNoCorpusPathAnonymouslyThatIsNotPublic sends
// the path-confusion corpus through the guide's forward_auth site.
func TestCaddyForwardAuthPassesNoCorpusPathAnonymouslyThatIsNotPublic(t *testing.T) {
	t.Parallel()
	gw := startAuthGateway(t, "public "+strings.Join(corpusPublic, " "))
	raw := newRawUpstream(t)
	front := startStockCaddy(t, gw, raw.addr())
	checkCorpusThroughProxy(t, strings.TrimPrefix(front, "http://"), raw)
}

// TestAuthRequestAnswersOnlyTheServersTrustedProxies asks a gateway whose
// server trusts no proxy: the endpoint refuses to believe the forwarded
// original request (403), whatever it names and whatever token comes
// with it.
func TestAuthRequestAnswersOnlyTheServersTrustedProxies(t *testing.T) {
	t.Parallel()
	g := startGateway(t, func(s *siteConfig) { s.Extra = "auth_request " + authPath + "\n\t\tpublic /healthz" })
	login, _ := g.loggedIn()
	for _, header := range [][]string{
		{"X-Original-Method", "GET", "X-Original-URI", "/healthz"},
		{"X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/app"},
		append([]string{"X-Original-Method", "GET", "X-Original-URI", "/app"}, withToken(login.str("access_token"))...),
	} {
		r := g.do("GET", authPath, nil, header...)
		r.wantError(t, 403, 908)
		if r.header.Get("X-Auth-Uid") != "" {
			t.Errorf("an untrusted peer got an identity: %v", r.header)
		}
	}
}

// TestCaddyForwardAuthLogsABrowserInThroughTheLoginPage drives Chromium
// through the guide's forward_auth site: the redirect to the login page,
// the password and a new PIN, and back at the page first asked for.
func TestCaddyForwardAuthLogsABrowserInThroughTheLoginPage(t *testing.T) {
	requireChromium(t)
	t.Parallel()
	gw := startAuthGateway(t, "")
	uid := gw.createAccount("")
	app := newUpstream(t)
	loginThroughProxy(t, startStockCaddy(t, gw, app.addr()), app, uid)
}
