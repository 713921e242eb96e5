package tests

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

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
