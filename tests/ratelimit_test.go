package tests

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// reloadableOptions are the global options with an admin endpoint (for
// /load) and loopback as a trusted proxy, so X-Forwarded-For names the
// client.
func reloadableOptions(adminPort int) string {
	return fmt.Sprintf(`{
	admin 127.0.0.1:%d
	persist_config off
	auto_https off
	default_bind 127.0.0.1
	servers {
		trusted_proxies static 127.0.0.1/32
	}
}
`, adminPort)
}

func TestRateLimitPerClientIPSurvivesAReload(t *testing.T) {
	t.Parallel()
	adminPort := freePort(t)
	up := newUpstream(t)
	s := newSite(t, "\treverse_proxy "+up.addr())
	s.Extra = "\t\trate_limit 3 1h"
	config := func() string {
		return strings.Replace(caddyfile(t, s), globalOptions, reloadableOptions(adminPort), 1)
	}
	g := &gateway{t: t, site: s, up: up, base: baseURL(s.Port), log: &responseLog{}}
	g.proc = startCaddy(t, config(), []string{g.base + "/.well-known/jwks.json"})
	uid := g.createAccount(pin)

	const clientA, clientB = "198.51.100.10", "203.0.113.20"
	wrongFrom := func(ip string) response {
		return g.do("POST", apiPrefix+"/auth/login?apikey="+g.key(),
			map[string]string{"email": email, "password": "wrong password"}, "X-Forwarded-For", ip)
	}
	for i := 1; i <= 3; i++ {
		wrongFrom(clientA).wantError(t, 401, 966)
	}
	r := wrongFrom(clientA)
	r.wantError(t, 429, 429)
	if ra := r.header.Get("Retry-After"); ra != "1200" {
		t.Fatalf("Retry-After = %q, want 1200 (one interval of 1h/3)", ra)
	}
	wrongFrom(clientB).wantError(t, 401, 966)
	// Token validation and API-secret calls from A are not limited.
	if r := g.do("GET", apiPrefix+"/manage/account/"+uid+"?"+g.manage(), nil, "X-Forwarded-For", clientA); r.status != 200 {
		t.Fatalf("management call from A: %d %s", r.status, r.raw)
	}
	login := g.passwordLogin() // from 127.0.0.1, a client of its own
	if login.status != 200 {
		t.Fatalf("password login from loopback: %d %s", login.status, login.raw)
	}
	for _, p := range []string{"/auth/access_token/validate", "/auth/access_token", "/auth/account"} {
		if r := g.do("GET", apiPrefix+p+"?apikey="+g.key(), nil, "X-Forwarded-For", clientA,
			"Authorization", "Bearer "+login.str("access_token")); r.status != 200 {
			t.Fatalf("token call %s from A: %d %s", p, r.status, r.raw)
		}
	}
	if r := g.protected("/app", login.str("access_token"), "X-Forwarded-For", clientA); r.status != 200 {
		t.Fatalf("protected request from A: %d %s", r.status, r.raw)
	}

	// Reload with a changed config: a new public path shows it is live.
	g.protected("/reloaded", "").wantError(t, 401, 1060)
	s.Extra += "\n\t\tpublic /reloaded"
	resp, err := http.Post(fmt.Sprintf("http://127.0.0.1:%d/load", adminPort), "text/caddyfile", strings.NewReader(config()))
	if err != nil {
		t.Fatalf("POST /load: %v", err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST /load: %d %s", resp.StatusCode, msg)
	}
	if r := g.protected("/reloaded", ""); r.status != 200 || r.raw != upstreamBody {
		t.Fatalf("the reloaded config is not live: %d %s", r.status, r.raw)
	}
	wrongFrom(clientA).wantError(t, 429, 429)
	wrongFrom(clientB).wantError(t, 401, 966)

	logs := g.proc.Logs()
	for _, want := range []string{`"client_ip":"198.51.100.10"`, `"reason":"rate_limited"`, `"reason":"password"`, `"tenant":"demo"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("Caddy's log lacks %s", want)
		}
	}
	if strings.Contains(logs, "wrong password") || strings.Contains(logs, password) {
		t.Error("Caddy's log contains a password")
	}
}
