package tests

import (
	"strconv"
	"strings"
	"testing"
)

// TestWrongAPISecretsAreLoggedCountedAndLimitedPerClientIPWhileRightOnesStayUnlimited
// guesses the API secret from one client address (127.0.0.2) as an
// attacker with the public API key would: the first 20 wrong secrets get
// 902, each logged and counted without the guess; then every secret call
// of that address gets 429 with Retry-After, the right secret included.
// An app back end on another address (127.0.0.3) makes a hundred calls
// with the right secret before, during and after, and is never limited; a
// third address still gets its own 902.
func TestWrongAPISecretsAreLoggedCountedAndLimitedPerClientIPWhileRightOnesStayUnlimited(t *testing.T) {
	t.Parallel()
	g, metricsURL := startGatewayWithMetrics(t)
	uid := g.createAccount(pin)

	const (
		wrong   = `pinauth_management_auth_refusals_total{reason="wrong",tenant="demo"}`
		limited = `pinauth_management_auth_refusals_total{reason="rate_limited",tenant="demo"}`
		missing = `pinauth_management_auth_refusals_total{reason="missing",tenant="demo"}`
	)
	before := scrape(t, metricsURL)
	for _, name := range []string{wrong, limited, missing} {
		if _, ok := before[name]; !ok {
			t.Fatalf("the metrics endpoint lacks %s before any refusal", name)
		}
	}

	guesser, app, bystander := loopbackClient(t, "127.0.0.2"), loopbackClient(t, "127.0.0.3"), loopbackClient(t, "127.0.0.4")
	account := apiPrefix + "/manage/account/" + uid + "?apikey=" + g.key()
	appCalls := func(n int) {
		t.Helper()
		for i := range n {
			if r := g.doWith(app, "GET", account, nil, "X-LoginRadius-ApiSecret", apiSecret); r.status != 200 {
				t.Fatalf("app back end call %d with the right secret: %d %s", i+1, r.status, r.raw)
			}
		}
	}
	guess := func(i int) string { return "guessed-secret-" + strconv.Itoa(100000+i) }

	appCalls(40)
	for i := range 20 {
		g.doWith(guesser, "GET", account+"&apisecret="+guess(i), nil).wantError(t, 401, 902)
		if i%5 == 0 {
			appCalls(5)
		}
	}
	r := g.doWith(guesser, "GET", account+"&apisecret="+guess(20), nil)
	r.wantError(t, 429, 429)
	if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 1 || ra > 30 {
		t.Errorf("Retry-After = %q, want 1…30 seconds (one interval of 10m/20)", r.header.Get("Retry-After"))
	}
	// Once the budget is spent nothing is compared: the right secret, in
	// the header or the query, gets the same 429 from that address.
	g.doWith(guesser, "GET", account, nil, "X-LoginRadius-ApiSecret", apiSecret).wantError(t, 429, 429)
	g.doWith(guesser, "GET", account+"&apisecret="+apiSecret, nil).wantError(t, 429, 429)
	appCalls(40)
	g.doWith(bystander, "GET", account+"&apisecret="+guess(21), nil).wantError(t, 401, 902)
	g.doWith(bystander, "GET", account, nil).wantError(t, 401, 902)

	after := scrape(t, metricsURL)
	for name, want := range map[string]float64{wrong: 21, limited: 3, missing: 1} {
		if got := after[name] - before[name]; got != want {
			t.Errorf("%s moved by %v, want %v", name, got, want)
		}
	}
	logs := g.proc.Logs()
	for _, want := range []string{`"reason":"api_secret_wrong"`, `"reason":"api_secret_rate_limited"`,
		`"reason":"api_secret_missing"`, `"client_ip":"127.0.0.2"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("Caddy's log lacks %s", want)
		}
	}
	if n := strings.Count(logs, `"reason":"api_secret_wrong"`); n != 21 {
		t.Errorf("Caddy's log has %d api_secret_wrong lines, want 21", n)
	}
	if strings.Contains(logs, "guessed-secret-") || strings.Contains(logs, apiSecret) {
		t.Error("Caddy's log holds an API secret, guessed or right")
	}
}
