package tests

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// scrape reads the metrics endpoint and returns each sample by its name
// and labels, as written (`name{a="b"}`).
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("metrics: %d %s", resp.StatusCode, body)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err == nil {
			out[line[:i]] = v
		}
	}
	return out
}

// startGatewayWithMetrics is startGateway with Caddy's metrics served on a
// site of their own; it also returns their URL.
func startGatewayWithMetrics(t *testing.T, mutate ...func(*siteConfig)) (*gateway, string) {
	t.Helper()
	up := newUpstream(t)
	s := newSite(t, "\treverse_proxy "+up.addr())
	for _, m := range mutate {
		m(&s)
	}
	metricsPort := freePort(t)
	metricsURL := baseURL(metricsPort) + "/metrics"
	g := &gateway{t: t, site: s, up: up, base: baseURL(s.Port), log: &responseLog{}}
	g.proc = startCaddy(t, caddyfile(t, s)+"\n:"+strconv.Itoa(metricsPort)+" {\n\tmetrics\n}\n",
		[]string{g.base + "/.well-known/jwks.json", metricsURL})
	return g, metricsURL
}

func TestMetricsOnCaddysEndpointMoveAfterALoginAndAFailure(t *testing.T) {
	t.Parallel()
	const captchaSecret = "metrics-captcha-secret-never-shown"
	verify := fakeRecaptcha(t, captchaSecret)
	// A captcha from the third failure on, so the test can see the
	// captcha and lockout counters move too.
	g, metricsURL := startGatewayWithMetrics(t, func(s *siteConfig) {
		s.Extra = "\t\tcaptcha recaptcha " + captchaSecret + " {\n\t\t\tverify_url " + verify.URL + "\n\t\t}"
	})

	const (
		success = `pinauth_logins_total{method="password",result="success",tenant="demo"}`
		invalid = `pinauth_logins_total{method="password",result="invalid",tenant="demo"}`
		miss    = `pinauth_token_verifications_total{cache="miss",result="valid"}`
		hit     = `pinauth_token_verifications_total{cache="hit",result="valid"}`
		update  = `pinauth_store_operation_duration_seconds_count{op="update"}`
		waits   = `pinauth_hash_wait_seconds_count`
	)
	before := scrape(t, metricsURL)
	if _, ok := before[`pinauth_hash_slots`]; !ok {
		t.Fatalf("the endpoint has no pinauth metrics:\n%v", before)
	}
	// Every family issue 8 lists is on the endpoint before any traffic,
	// so dashboards and alerts see their first increase.
	families := map[string]bool{}
	for sample := range before {
		name, _, _ := strings.Cut(sample, "{")
		families[name] = true
	}
	for _, family := range []string{
		"pinauth_logins_total", "pinauth_lockouts_total", "pinauth_captcha_verifications_total",
		"pinauth_token_verifications_total", "pinauth_hash_queue_waiting", "pinauth_hash_slots_in_use",
		"pinauth_hash_wait_seconds_count", "pinauth_store_operation_duration_seconds_bucket",
		"pinauth_webhook_deliveries_total", "pinauth_webhook_outbox_events",
	} {
		if !families[family] {
			t.Errorf("Caddy's metrics endpoint lacks %s", family)
		}
	}

	login, _ := g.loggedIn()
	if r := g.do("POST", apiPrefix+"/auth/login?apikey="+apiKey, map[string]string{"email": email, "password": "wrong password"}); r.status != 401 {
		t.Fatalf("failed login: %d %s", r.status, r.raw)
	}
	for range 3 {
		if r := g.protected("/app", login.str("access_token")); r.status != 200 {
			t.Fatalf("protected: %d", r.status)
		}
	}

	after := scrape(t, metricsURL)
	for name, want := range map[string]float64{success: 1, invalid: 1, miss: 1, hit: 2} {
		if got := after[name] - before[name]; got != want {
			t.Errorf("%s moved by %v, want %v", name, got, want)
		}
	}
	for _, name := range []string{update, waits} {
		if after[name] <= before[name] {
			t.Errorf("%s did not move (%v → %v)", name, before[name], after[name])
		}
	}
	// Wrong PINs until the account locks: from the third failure on each
	// carries a solved captcha.
	const (
		lockouts = `pinauth_lockouts_total{tenant="demo",type="Suspend"}`
		solved   = `pinauth_captcha_verifications_total{provider="recaptcha",result="valid"}`
	)
	st := login.str("session_token")
	locked := false
	for i := 0; i < 10 && !locked; i++ {
		r := g.do("POST", apiPrefix+"/auth/login/pin?apikey="+apiKey+"&session_token="+st,
			withCaptcha(map[string]string{"pin": wrongPIN}, "e2e-solved"))
		switch {
		case r.status == 401:
		case r.status == 403 && (r.code() == 1198 || r.code() == 1245):
			locked = true
		default:
			t.Fatalf("wrong PIN %d: %d %s", i+1, r.status, r.raw)
		}
	}
	afterLock := scrape(t, metricsURL)
	if got := afterLock[lockouts] - after[lockouts]; got != 1 {
		t.Errorf("%s moved by %v after the account locked, want 1", lockouts, got)
	}
	if afterLock[solved] <= after[solved] {
		t.Errorf("%s did not move (%v → %v)", solved, after[solved], afterLock[solved])
	}

	if slots := after["pinauth_hash_slots"]; slots < 1 {
		t.Errorf("pinauth_hash_slots = %v", slots)
	}
	for name := range after {
		if regexp.MustCompile(`(?i)pepper|password=|secret`).MatchString(name) || strings.Contains(name, captchaSecret) {
			t.Errorf("a metric names a secret: %s", name)
		}
	}
}
