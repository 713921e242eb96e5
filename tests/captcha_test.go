package tests

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The three captcha providers on real Caddy, each a local server that
// answers like the real verify API, reached through the Caddyfile's
// verify_url.

// The answers a client sends; each fake answers them as its real API
// answers a token of that kind.
const (
	captchaOK       = "e2e-ok"       // a solved captcha
	captchaBad      = "e2e-bad"      // wrong, expired or reused
	captchaLowScore = "e2e-lowscore" // reCAPTCHA v3 low score, Tencent high evil_level
	captchaSlow     = "e2e-slow"     // the provider does not answer in time
	captchaBoom     = "e2e-boom"     // the provider answers HTTP 500
	tencentAppID    = "2094639739"
	tencentRandstr  = "@e2e"
)

// fakeCaptcha starts a local verify API for provider that accepts secret.
func fakeCaptcha(t *testing.T, provider, secret string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.ParseForm() != nil || r.URL.RawQuery != "" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		f := r.PostForm
		token := f.Get("response")
		if provider == "tencent" {
			token = f.Get("Ticket")
		}
		switch token {
		case captchaSlow:
			<-r.Context().Done()
			return
		case captchaBoom:
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		var body map[string]any
		switch provider {
		case "tencent":
			switch {
			case f.Get("aid") != tencentAppID || f.Get("AppSecretKey") != secret:
				body = map[string]any{"response": "100", "evil_level": "0", "err_msg": "appsecretkey-ticket mismatch"}
			case f.Get("Randstr") != tencentRandstr:
				body = map[string]any{"response": "7", "evil_level": "0", "err_msg": "captcha no match"}
			case token == captchaOK:
				body = map[string]any{"response": "1", "evil_level": "0", "err_msg": "OK"}
			case token == captchaLowScore:
				body = map[string]any{"response": "1", "evil_level": "100", "err_msg": "OK"}
			default:
				body = map[string]any{"response": "9", "evil_level": "0", "err_msg": "ticket reused"}
			}
		default: // reCAPTCHA v3 and hCaptcha share siteverify's shape
			switch {
			case f.Get("secret") != secret:
				body = map[string]any{"success": false, "error-codes": []string{"invalid-input-secret"}}
			case token == captchaOK:
				body = map[string]any{"success": true, "score": 0.9, "action": "login", "hostname": "127.0.0.1"}
			case token == captchaLowScore && provider == "recaptcha":
				body = map[string]any{"success": true, "score": 0.1, "action": "login", "hostname": "127.0.0.1"}
			default:
				body = map[string]any{"success": false, "error-codes": []string{"invalid-input-response"}}
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// captchaFields are the request fields carrying answer for provider.
func captchaFields(provider, answer string) map[string]string {
	switch provider {
	case "recaptcha":
		return map[string]string{"g-recaptcha-response": answer}
	case "hcaptcha":
		return map[string]string{"h-captcha-response": answer}
	}
	return map[string]string{"qq_captcha_ticket": answer, "qq_captcha_randstr": tencentRandstr}
}

func TestEachCaptchaProviderOverRealCaddyFailsClosedAndCountsOnlyComparedSecrets(t *testing.T) {
	t.Parallel()
	const secret = "e2e-provider-secret-never-logged"
	up := newUpstream(t)
	providers := []string{"recaptcha", "hcaptcha", "tencent"}
	sites := map[string]siteConfig{}
	var all []siteConfig
	var ready []string
	for _, p := range providers {
		fake := fakeCaptcha(t, p, secret)
		s := newSite(t, "\treverse_proxy "+up.addr())
		appID := ""
		if p == "tencent" {
			appID = "\n\t\t\tapp_id " + tencentAppID
		}
		s.Extra = fmt.Sprintf("\t\tlockout 3 15m 15m suspend\n\t\tcaptcha %s %s {%s\n\t\t\tverify_url %s\n\t\t\talways\n\t\t\ttimeout 1s\n\t\t}\n%s",
			p, secret, appID, fake.URL, noContention)
		sites[p] = s
		all = append(all, s)
		ready = append(ready, baseURL(s.Port)+"/.well-known/jwks.json")
	}
	proc := startCaddy(t, caddyfile(t, all...), ready)
	// Checked once the parallel subtests are done (Caddy stops after).
	t.Cleanup(func() {
		if strings.Contains(proc.Logs(), secret) {
			t.Error("Caddy's log contains the captcha secret")
		}
	})
	for _, p := range providers {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			s := sites[p]
			g := &gateway{t: t, proc: proc, site: s, up: up, base: baseURL(s.Port), log: &responseLog{}}
			g.createAccount(pin)
			login := func(password, answer string) response {
				body := map[string]string{"email": email, "password": password}
				if answer != "" {
					for k, v := range captchaFields(p, answer) {
						body[k] = v
					}
				}
				return g.do("POST", apiPrefix+"/auth/login?apikey="+g.key(), body)
			}
			login(password, "").wantError(t, 403, 982)
			login(password, captchaBad).wantError(t, 403, 982)
			if p != "hcaptcha" {
				login(password, captchaLowScore).wantError(t, 403, 982)
			}
			for _, down := range []string{captchaSlow, captchaBoom} {
				r := login("wrong password", down)
				r.wantError(t, 503, 503)
				if r.header.Get("Retry-After") == "" || !strings.Contains(r.str("Description"), "CAPTCHA provider") {
					t.Fatalf("provider %s: want Retry-After and a Description naming the provider, got %v %s", down, r.header, r.raw)
				}
			}
			if r := login(password, captchaOK); r.status != 200 || r.str("access_token") == "" {
				t.Fatalf("right password with a solved captcha: %d %s", r.status, r.raw)
			}
			// None of the refusals above was counted: exactly three
			// compared wrong passwords lock the account.
			for i := 1; i <= 3; i++ {
				login("wrong password", captchaOK).wantError(t, 401, 966)
			}
			login(password, captchaOK).wantError(t, 403, 1198)
		})
	}
}
