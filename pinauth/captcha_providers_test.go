package pinauth

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/captcha"
	"github.com/pinauth/caddy-pinauth/pinauth/ratelimit"
)

func TestCaptchaProvidersVerifyAnswersLikeTheRealAPIs(t *testing.T) {
	t.Parallel()
	for _, provider := range []string{captcha.ReCAPTCHA, captcha.HCaptcha, captcha.Tencent} {
		t.Run(provider, func(t *testing.T) {
			t.Parallel()
			e, fake, logs := captchaEnv(t, provider, func(cc *captcha.Config) { cc.SiteKey = fakeSiteKey })
			uid := e.createAccount(testEmail, testPIN)

			if r := e.loginWith(testEmail, testPass, nil); r.status != 403 || r.code() != 982 {
				t.Fatalf("no captcha: want 403/982, got %d %s", r.status, r.raw)
			}
			if n := len(fake.received()); n != 0 {
				t.Fatalf("a missing captcha reached the provider %d times", n)
			}
			rejected := []string{answerBad}
			if provider != captcha.HCaptcha {
				rejected = append(rejected, answerLowScore)
			}
			for _, ans := range rejected {
				if r := e.loginWith(testEmail, testPass, captchaAnswerFields(provider, ans)); r.status != 403 || r.code() != 982 {
					t.Fatalf("captcha %s: want 403/982, got %d %s", ans, r.status, r.raw)
				}
			}
			for _, ans := range []string{answerSlow, answerBoom} {
				r := e.loginWith(testEmail, testPass, captchaAnswerFields(provider, ans))
				if r.status != 503 || r.code() != 503 || r.header.Get("Retry-After") == "" ||
					!strings.Contains(r.str("Description"), "CAPTCHA provider") {
					t.Fatalf("captcha %s: want 503 with Retry-After naming the provider, got %d %v %s", ans, r.status, r.header, r.raw)
				}
			}
			if n := e.failures(uid); n != 0 {
				t.Fatalf("rejected or unverifiable captchas counted %d failures; a captcha failure compares no secret", n)
			}
			if r := e.loginWith(testEmail, "wrong password", captchaAnswerFields(provider, answerOK)); r.code() != 966 {
				t.Fatalf("valid captcha, wrong password: want 966, got %d %s", r.status, r.raw)
			}
			if n := e.failures(uid); n != 1 {
				t.Fatalf("failures after a wrong password = %d, want 1", n)
			}
			if r := e.loginWith(testEmail, testPass, captchaAnswerFields(provider, answerOK)); r.status != 200 {
				t.Fatalf("valid captcha, right password: %d %s", r.status, r.raw)
			}
			if n := e.failures(uid); n != 0 {
				t.Fatalf("failures after a successful login = %d, want 0", n)
			}

			reqs := fake.received()
			if want := len(rejected) + 4; len(reqs) != want {
				t.Fatalf("provider got %d verification requests, want %d", len(reqs), want)
			}
			for _, req := range reqs {
				if req.method != "POST" || req.rawQuery != "" {
					t.Errorf("verification sent as %s with query %q; want a POST with the secret in the body", req.method, req.rawQuery)
				}
				switch provider {
				case captcha.Tencent:
					if req.form.Get("AppSecretKey") != captchaSecret || req.form.Get("aid") != fakeAppID ||
						req.form.Get("UserIP") != "127.0.0.1" || req.form.Get("Randstr") != fakeRandstr {
						t.Errorf("tencent form = %v", req.form)
					}
				default:
					if req.form.Get("secret") != captchaSecret || req.form.Get("remoteip") != "127.0.0.1" {
						t.Errorf("siteverify form = %v", req.form)
					}
					if got := req.form.Get("sitekey"); (provider == captcha.HCaptcha) != (got == fakeSiteKey) {
						t.Errorf("sitekey = %q (sent to hCaptcha only)", got)
					}
				}
			}
			noSecretsLogged(t, logs, captchaSecret, testPass)
		})
	}
}

func TestCaptchaWithARejectedSecretFailsClosed(t *testing.T) {
	t.Parallel()
	for _, provider := range []string{captcha.ReCAPTCHA, captcha.HCaptcha} {
		t.Run(provider, func(t *testing.T) {
			t.Parallel()
			e, _, logs := captchaEnv(t, provider, func(cc *captcha.Config) { cc.Secret = "not-the-configured-secret" })
			uid := e.createAccount(testEmail, testPIN)
			r := e.loginWith(testEmail, testPass, captchaAnswerFields(provider, answerOK))
			if r.status != 503 || r.code() != 503 {
				t.Fatalf("provider rejecting our secret: want 503, got %d %s", r.status, r.raw)
			}
			if e.failures(uid) != 0 {
				t.Fatal("an unverifiable captcha was counted as a failure")
			}
			found := false
			for _, entry := range logs.All() {
				if strings.Contains(fmt.Sprint(entry.ContextMap()), "rejected the configured secret") {
					found = true
				}
			}
			if !found {
				t.Error("no log entry says the provider rejected the configured secret")
			}
			noSecretsLogged(t, logs, "not-the-configured-secret", testPass)
		})
	}
}

func TestCaptchaProviderDownIsCountedNowhere(t *testing.T) {
	t.Parallel()
	e, _, _ := captchaEnv(t, captcha.ReCAPTCHA, nil, func(c *Config) {
		c.RateLimit = ratelimit.Policy{Requests: 2, Window: time.Hour}
	})
	uid := e.createAccount(testEmail, testPIN)
	for i := 0; i < 5; i++ {
		if r := e.loginWith(testEmail, "wrong password", captchaAnswerFields(captcha.ReCAPTCHA, answerBoom)); r.status != 503 {
			t.Fatalf("provider down, try %d: want 503, got %d %s", i+1, r.status, r.raw)
		}
	}
	if e.failures(uid) != 0 {
		t.Fatal("provider outage counted toward the lockout")
	}
	// The rate limit (2 per hour) was not spent either.
	for i := 0; i < 2; i++ {
		if r := e.loginWith(testEmail, "wrong password", captchaAnswerFields(captcha.ReCAPTCHA, answerOK)); r.code() != 966 {
			t.Fatalf("try %d after the outage: want 966, got %d %s", i+1, r.status, r.raw)
		}
	}
	if r := e.loginWith(testEmail, "wrong password", captchaAnswerFields(captcha.ReCAPTCHA, answerOK)); r.status != 429 {
		t.Fatalf("third counted try: want 429, got %d %s", r.status, r.raw)
	}
}
