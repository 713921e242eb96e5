package tests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// noContention keeps the hashing queue and the rate limit out of the way
// of tests about the lockout: with them every refusal is the lock's.
const noContention = "\t\tmax_concurrent_hashes 256\n\t\trate_limit 100000 1m"

// wrongPIN is a well-formed PIN that is not the account's.
const wrongPIN = "1357"

// tryDo is do for goroutines: it reports a transport error instead of
// failing the test from a goroutine that is not the test's.
func (g *gateway) tryDo(method, path string, body any, header ...string) (response, error) {
	return g.tryDoWith(httpClient, method, path, body, header...)
}

// tryDoWith is tryDo through client.
func (g *gateway) tryDoWith(client *http.Client, method, path string, body any, header ...string) (response, error) {
	j, err := json.Marshal(body)
	if err != nil {
		return response{}, err
	}
	req, err := http.NewRequest(method, g.base+path, bytes.NewReader(j))
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		return response{}, err
	}
	r, err := newResponse(resp)
	g.record(r)
	return r, err
}

// concurrently sends n requests at once (each built by send) and counts
// the ErrorCodes of the answers (0 for a success).
func concurrently(t *testing.T, n int, send func() (response, error)) map[int]int {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	var errs []error
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			r, err := send()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			codes[r.code()]++
		})
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of %d requests failed in transport, first: %v", len(errs), n, errs[0])
	}
	return codes
}

func TestTwoHundredConcurrentWrongPINsGetExactlyTheLockoutsAttempts(t *testing.T) {
	t.Parallel()
	g := startGateway(t, func(s *siteConfig) { s.Extra = "\t\tlockout 5 15m 15m suspend\n" + noContention })
	login, uid := g.loggedIn()
	st := login.str("session_token")
	codes := concurrently(t, 200, func() (response, error) {
		return g.tryDo("POST", apiPrefix+"/auth/login/pin?apikey="+g.key()+"&session_token="+st, map[string]string{"pin": wrongPIN})
	})
	if codes[1236] != 5 || codes[1198] != 195 {
		t.Fatalf("200 concurrent wrong PINs got %v; want exactly 5 × 1236 and 195 × 1198", codes)
	}
	locked := g.pinLogin(st, pin)
	locked.wantError(t, 403, 1198)
	if until, err := time.Parse(time.RFC3339Nano, fmt.Sprint(locked.object("Data")["LoginLockedTimeout"])); err != nil || !until.After(time.Now()) {
		t.Fatalf("the right PIN's 1198 carries no future Data.LoginLockedTimeout: %v %s", err, locked.raw)
	}
	if a := g.account(uid); a["IsLoginLocked"] != true || a["LoginLockedType"] != "Suspend" {
		t.Fatalf("profile after the race: IsLoginLocked %v, LoginLockedType %v", a["IsLoginLocked"], a["LoginLockedType"])
	}
	// fail2ban sees every refused guess: one Info line each, and one
	// Warn line for the lockout.
	logs := g.proc.Logs()
	for what, want := range map[string]int{
		`"msg":"account locked"`:  1,
		`"reason":"pin"`:          5,
		`"reason":"pin_locked"`:   196,
		`"client_ip":"127.0.0.1"`: 202, // every failure line and the Warn line
	} {
		if got := strings.Count(logs, what); got != want {
			t.Errorf("Caddy's log has %d × %s, want %d", got, what, want)
		}
	}
	// The operator lifts the suspension; a fresh password login then
	// leads to a working PIN login (the old session token was revoked).
	if r := g.do("PUT", apiPrefix+"/manage/account/"+uid+"?"+g.manage(), map[string]any{"IsLoginLocked": false}); r.status != 200 {
		t.Fatalf("unlock: %d %s", r.status, r.raw)
	}
	// The lock invalidated the session token: lifting the lock does not
	// bring it back.
	g.pinLogin(st, pin).wantError(t, 403, 1245)
	fresh := g.passwordLogin()
	if fresh.status != 200 {
		t.Fatalf("password login after the unlock: %d %s", fresh.status, fresh.raw)
	}
	if r := g.pinLogin(fresh.str("session_token"), pin); r.status != 200 {
		t.Fatalf("PIN login after the unlock: %d %s", r.status, r.raw)
	}
}

func TestTwoHundredConcurrentWrongPasswordsGetExactlyTheLockoutsAttempts(t *testing.T) {
	t.Parallel()
	g := startGateway(t, func(s *siteConfig) { s.Extra = "\t\tlockout 5 15m 15m block\n" + noContention })
	uid := g.createAccount(pin)
	codes := concurrently(t, 200, func() (response, error) {
		return g.tryDo("POST", apiPrefix+"/auth/login?apikey="+g.key(), map[string]string{"email": email, "password": "wrong password"})
	})
	if codes[966] != 5 || codes[991] != 195 {
		t.Fatalf("200 concurrent wrong passwords got %v; want exactly 5 × 966 and 195 × 991", codes)
	}
	g.passwordLogin().wantError(t, 403, 991)
	if r := g.do("PUT", apiPrefix+"/manage/account/"+uid+"?"+g.manage(), map[string]any{"IsActive": true}); r.status != 200 {
		t.Fatalf("unblock: %d %s", r.status, r.raw)
	}
	if r := g.passwordLogin(); r.status != 200 {
		t.Fatalf("password login after IsActive true: %d %s", r.status, r.raw)
	}
}

// fakeRecaptcha is a local stand-in for reCAPTCHA's siteverify: it
// accepts the answer "e2e-solved" under the configured secret and answers
// like the real API otherwise.
func fakeRecaptcha(t *testing.T, secret string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.ParseForm() != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		var body map[string]any
		switch {
		case r.PostForm.Get("secret") != secret:
			body = map[string]any{"success": false, "error-codes": []string{"invalid-input-secret"}}
		case r.PostForm.Get("response") == "e2e-solved":
			body = map[string]any{"success": true, "challenge_ts": time.Now().UTC().Format(time.RFC3339), "hostname": "127.0.0.1"}
		default:
			body = map[string]any{"success": false, "error-codes": []string{"invalid-input-response"}}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// withCaptcha returns body plus a reCAPTCHA answer.
func withCaptcha(body map[string]string, answer string) map[string]string {
	out := map[string]string{"g-recaptcha-response": answer}
	for k, v := range body {
		out[k] = v
	}
	return out
}

// eventually polls check every 50ms until it returns "" or the deadline
// passes, then fails with check's last complaint.
func eventually(t *testing.T, within time.Duration, check func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		complaint := check()
		if complaint == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, complaint)
		}
		<-tick.C
	}
}

func TestEachLockTypeOverRealCaddyAndItsUnlock(t *testing.T) {
	t.Parallel()
	const captchaSecret = "e2e-captcha-secret-never-logged"
	verify := fakeRecaptcha(t, captchaSecret)
	up := newUpstream(t)
	site := func(extra string) siteConfig {
		s := newSite(t, "\treverse_proxy "+up.addr())
		s.Extra = extra + "\n" + noContention
		return s
	}
	sites := map[string]siteConfig{
		"suspend, short": site("\t\tlockout 5 15m 1s suspend"),
		"captcha": site("\t\tlockout 5 15m 15m captcha\n\t\tcaptcha recaptcha " + captchaSecret +
			" {\n\t\t\tverify_url " + verify.URL + "\n\t\t}"),
		"block": site("\t\tlockout 5 15m 15m block"),
	}
	var all []siteConfig
	var ready []string
	for _, s := range sites {
		all = append(all, s)
		ready = append(ready, baseURL(s.Port)+"/.well-known/jwks.json")
	}
	proc := startCaddy(t, caddyfile(t, all...), ready)
	gatewayOf := func(t *testing.T, name string) *gateway {
		s := sites[name]
		return &gateway{t: t, proc: proc, site: s, up: up, base: baseURL(s.Port), log: &responseLog{}}
	}
	lockWithPINs := func(g *gateway, st string, captchaFrom int) {
		g.t.Helper()
		for i := 1; i <= 5; i++ {
			body := map[string]string{"pin": wrongPIN}
			if captchaFrom > 0 && i >= captchaFrom {
				body = withCaptcha(body, "e2e-solved")
			}
			g.do("POST", apiPrefix+"/auth/login/pin?apikey="+g.key()+"&session_token="+st, body).wantError(g.t, 401, 1236)
		}
	}
	unlock := func(g *gateway, uid string, body map[string]any) {
		g.t.Helper()
		r := g.do("PUT", apiPrefix+"/manage/account/"+uid+"?"+g.manage(), body)
		if r.status != 200 || r.body["IsLoginLocked"] != false {
			g.t.Fatalf("unlock with %v: %d %s", body, r.status, r.raw)
		}
	}
	loginBody := map[string]string{"email": email, "password": password}

	t.Run("suspend ends by itself", func(t *testing.T) {
		t.Parallel()
		g := gatewayOf(t, "suspend, short")
		login, _ := g.loggedIn()
		lockWithPINs(g, login.str("session_token"), 0)
		r := g.passwordLogin()
		r.wantError(t, 403, 1198)
		until, err := time.Parse(time.RFC3339Nano, fmt.Sprint(r.object("Data")["LoginLockedTimeout"]))
		if err != nil {
			t.Fatalf("LoginLockedTimeout: %v in %s", err, r.raw)
		}
		eventually(t, 30*time.Second, func() string {
			if r := g.passwordLogin(); r.status != 200 {
				return fmt.Sprintf("password login still %d %s", r.status, r.raw)
			}
			return ""
		})
		if time.Now().Before(until) {
			t.Fatalf("the suspension ended before its LoginLockedTimeout %v", until)
		}
	})

	t.Run("captcha lets a solved captcha through", func(t *testing.T) {
		t.Parallel()
		g := gatewayOf(t, "captcha")
		login, uid := g.loggedIn()
		st := login.str("session_token")
		// After 3 failures (5 - 2) every try needs a captcha.
		for i := 1; i <= 3; i++ {
			g.pinLogin(st, wrongPIN).wantError(t, 401, 1236)
		}
		g.pinLogin(st, wrongPIN).wantError(t, 403, 982)
		for i := 4; i <= 5; i++ {
			g.do("POST", apiPrefix+"/auth/login/pin?apikey="+g.key()+"&session_token="+st,
				withCaptcha(map[string]string{"pin": wrongPIN}, "e2e-solved")).wantError(t, 401, 1236)
		}
		if a := g.account(uid); a["LoginLockedType"] != "Captcha" || a["IsLoginLocked"] != true {
			t.Fatalf("profile: IsLoginLocked %v LoginLockedType %v", a["IsLoginLocked"], a["LoginLockedType"])
		}
		g.pinLogin(st, pin).wantError(t, 403, 1132)
		g.passwordLogin().wantError(t, 403, 1132)
		g.do("POST", apiPrefix+"/auth/login?apikey="+g.key(), withCaptcha(loginBody, "forged")).wantError(t, 403, 982)
		r := g.do("POST", apiPrefix+"/auth/login?apikey="+g.key(), withCaptcha(loginBody, "e2e-solved"))
		if r.status != 200 {
			t.Fatalf("right password with a solved captcha: %d %s", r.status, r.raw)
		}
		if a := g.account(uid); a["IsLoginLocked"] != false {
			t.Fatalf("the successful login did not lift the lock: %v", a["IsLoginLocked"])
		}
		// Lock again, then the operator unlocks.
		lockWithPINs(g, r.str("session_token"), 4)
		g.passwordLogin().wantError(t, 403, 1132)
		unlock(g, uid, map[string]any{"IsLoginLocked": false})
		if r := g.passwordLogin(); r.status != 200 {
			t.Fatalf("password login without captcha after the unlock: %d %s", r.status, r.raw)
		}
		if strings.Contains(proc.Logs(), captchaSecret) {
			t.Fatal("Caddy's log contains the captcha secret")
		}
	})

	t.Run("block holds until an operator lifts it", func(t *testing.T) {
		t.Parallel()
		g := gatewayOf(t, "block")
		login, uid := g.loggedIn()
		lockWithPINs(g, login.str("session_token"), 0)
		g.passwordLogin().wantError(t, 403, 991)
		if a := g.account(uid); a["LoginLockedType"] != "Block" {
			t.Fatalf("profile LoginLockedType = %v, want Block", a["LoginLockedType"])
		}
		unlock(g, uid, map[string]any{"IsLoginLocked": false})
		r := g.passwordLogin()
		if r.status != 200 {
			t.Fatalf("password login after IsLoginLocked false: %d %s", r.status, r.raw)
		}
		lockWithPINs(g, r.str("session_token"), 0)
		g.passwordLogin().wantError(t, 403, 991)
		unlock(g, uid, map[string]any{"IsActive": true})
		if r := g.passwordLogin(); r.status != 200 {
			t.Fatalf("password login after IsActive true: %d %s", r.status, r.raw)
		}
	})
}

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
