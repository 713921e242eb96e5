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

func TestMetricsOnCaddysEndpointMoveAfterALoginAndAFailure(t *testing.T) {
	t.Parallel()
	up := newUpstream(t)
	s := newSite(t, "\treverse_proxy "+up.addr())
	metricsPort := freePort(t)
	conf := caddyfile(t, s) + "\n:" + strconv.Itoa(metricsPort) + " {\n\tmetrics\n}\n"
	g := &gateway{t: t, site: s, up: up, base: baseURL(s.Port), log: &responseLog{}}
	metricsURL := baseURL(metricsPort) + "/metrics"
	g.proc = startCaddy(t, conf, []string{g.base + "/.well-known/jwks.json", metricsURL})

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
	if slots := after["pinauth_hash_slots"]; slots < 1 {
		t.Errorf("pinauth_hash_slots = %v", slots)
	}
	for name := range after {
		if regexp.MustCompile(`(?i)pepper|password=|secret`).MatchString(name) {
			t.Errorf("a metric names a secret: %s", name)
		}
	}
}
