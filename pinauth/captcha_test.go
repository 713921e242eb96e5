package pinauth

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"path/filepath"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/pinauth/caddy-pinauth/pinauth/captcha"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/sqlite"
)

// openTestStore opens a fresh SQLite store closed with the test.
func openTestStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "pinauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

const captchaSecret = "captcha-secret-never-logged-7f3a"

// captchaEnv is a gateway whose captcha provider is a local fake of
// provider; adjust changes the captcha config, more the rest.
func captchaEnv(t *testing.T, provider string, adjust func(*captcha.Config), more ...func(*Config)) (*testEnv, *fakeProvider, *observer.ObservedLogs) {
	t.Helper()
	fake := newFakeProvider(t, provider, captchaSecret)
	core, logs := observer.New(zap.DebugLevel)
	e := newTestEnv(t, append([]func(*Config){func(c *Config) {
		cc := &captcha.Config{Provider: provider, Secret: captchaSecret, VerifyURL: fake.srv.URL,
			Always: true, Timeout: 300 * time.Millisecond}
		if provider == captcha.Tencent {
			cc.AppID = fakeAppID
		}
		if adjust != nil {
			adjust(cc)
		}
		c.Captcha = cc
		c.Logger = zap.New(core)
	}}, more...)...)
	return e, fake, logs
}

// loginWith is a password login carrying extra body fields.
func (e *testEnv) loginWith(email, password string, extra map[string]string) response {
	e.t.Helper()
	body := map[string]string{"email": email, "password": password}
	for k, v := range extra {
		body[k] = v
	}
	return e.do("POST", "/identity/v2/auth/login?apikey="+testKey, body)
}

// failures returns the account's counted failures (0 when none are
// recorded).
func (e *testEnv) failures(uid string) int {
	e.t.Helper()
	return e.attempts(uid).Failures
}

// noSecretsLogged fails when any log entry mentions one of the secrets.
func noSecretsLogged(t *testing.T, logs *observer.ObservedLogs, secrets ...string) {
	t.Helper()
	for _, entry := range logs.All() {
		line := entry.Message + fmt.Sprint(entry.ContextMap())
		for _, s := range secrets {
			if strings.Contains(line, s) {
				t.Errorf("log entry %q contains a secret: %s", entry.Message, line)
			}
		}
	}
}

func TestCaptchaAfterFailuresDefaultsToTwoBelowTheLockout(t *testing.T) {
	t.Parallel()
	e, fake, _ := captchaEnv(t, captcha.ReCAPTCHA, func(cc *captcha.Config) { cc.Always = false })
	uid := e.createAccount(testEmail, testPIN)
	for i := 1; i <= 3; i++ {
		if r := e.loginWith(testEmail, "wrong password", nil); r.code() != 966 {
			t.Fatalf("wrong password %d without captcha: want 966, got %d %s", i, r.status, r.raw)
		}
	}
	// Three failures reached after = 5-2: from now on a captcha is needed.
	if r := e.loginWith(testEmail, testPass, nil); r.code() != 982 {
		t.Fatalf("fourth try without captcha: want 982, got %d %s", r.status, r.raw)
	}
	if e.failures(uid) != 3 {
		t.Fatalf("a refused captcha changed the count to %d", e.failures(uid))
	}
	if r := e.loginWith(testEmail, "wrong password", captchaAnswerFields(captcha.ReCAPTCHA, answerOK)); r.code() != 966 {
		t.Fatalf("fourth try with captcha: want 966, got %d %s", r.status, r.raw)
	}
	if r := e.loginWith(testEmail, testPass, captchaAnswerFields(captcha.ReCAPTCHA, answerOK)); r.status != 200 {
		t.Fatalf("right password with captcha: %d %s", r.status, r.raw)
	}
	// The success reset the count: no captcha needed again.
	if r := e.loginWith(testEmail, testPass, nil); r.status != 200 {
		t.Fatalf("login without captcha after the reset: %d %s", r.status, r.raw)
	}
	// Unknown accounts have no count and need none below the threshold.
	if r := e.loginWith("nobody@example.com", testPass, nil); r.code() != 966 {
		t.Fatalf("unknown account: want 966, got %s", r.raw)
	}
	if n := len(fake.received()); n != 2 {
		t.Fatalf("provider got %d requests, want 2", n)
	}
}

func TestCaptchaAlwaysAppliesToUnknownAccountsAndInvalidSessionTokens(t *testing.T) {
	t.Parallel()
	e, _, _ := captchaEnv(t, captcha.HCaptcha, nil)
	if r := e.loginWith("nobody@example.com", testPass, nil); r.code() != 982 {
		t.Fatalf("unknown account without captcha: want 982, got %s", r.raw)
	}
	if r := e.loginWith("nobody@example.com", testPass, captchaAnswerFields(captcha.HCaptcha, answerOK)); r.code() != 966 {
		t.Fatalf("unknown account with captcha: want 966, got %s", r.raw)
	}
	if r := e.pinLogin("00000000-0000-4000-8000-000000000000", testPIN); r.code() != 982 {
		t.Fatalf("invalid session token without captcha: want 982, got %s", r.raw)
	}
}

func TestCaptchaFieldsAreReadFromQueryAndBodyUnderEverySpelling(t *testing.T) {
	t.Parallel()
	t.Run("recaptcha in the query, underscore spelling", func(t *testing.T) {
		t.Parallel()
		e, _, _ := captchaEnv(t, captcha.ReCAPTCHA, nil)
		e.createAccount(testEmail, testPIN)
		r := e.do("POST", "/identity/v2/auth/login?apikey="+testKey+"&G_Recaptcha_Response="+answerOK,
			map[string]string{"email": testEmail, "password": testPass})
		if r.status != 200 {
			t.Fatalf("login: %d %s", r.status, r.raw)
		}
	})
	t.Run("tencent qq_recaptcha names in the body", func(t *testing.T) {
		t.Parallel()
		e, _, _ := captchaEnv(t, captcha.Tencent, nil)
		e.createAccount(testEmail, testPIN)
		r := e.loginWith(testEmail, testPass, map[string]string{"QQ_Recaptcha_Ticket": answerOK, "qq_recaptcha_randstr": fakeRandstr})
		if r.status != 200 {
			t.Fatalf("login: %d %s", r.status, r.raw)
		}
		if r := e.loginWith(testEmail, testPass, map[string]string{"qq_captcha_ticket": answerOK}); r.code() != 982 {
			t.Fatalf("tencent ticket without randstr: want 982, got %s", r.raw)
		}
	})
	t.Run("hcaptcha widget's g-recaptcha-response copy", func(t *testing.T) {
		t.Parallel()
		e, _, _ := captchaEnv(t, captcha.HCaptcha, nil)
		e.createAccount(testEmail, testPIN)
		if r := e.loginWith(testEmail, testPass, map[string]string{"g-recaptcha-response": answerOK}); r.status != 200 {
			t.Fatalf("login: %d %s", r.status, r.raw)
		}
	})
}

func TestCaptchaLockLetsOnlyASolvedCaptchaThrough(t *testing.T) {
	t.Parallel()
	e, _, _ := captchaEnv(t, captcha.ReCAPTCHA, func(cc *captcha.Config) { cc.Always = false },
		func(c *Config) { c.Lockout.Type = store.LockCaptcha })
	login := e.loggedIn(testEmail)
	uid := login.body["Profile"].(map[string]any)["Uid"].(string)
	st := login.str("session_token")
	ok := captchaAnswerFields(captcha.ReCAPTCHA, answerOK)
	// Failures 1-3 need no captcha, 4 and 5 do (after = 3).
	for i := 1; i <= 5; i++ {
		r := e.pinLogin(st, "9999")
		if i > 3 {
			body := map[string]string{"pin": "9999"}
			for k, v := range ok {
				body[k] = v
			}
			r = e.do("POST", "/identity/v2/auth/login/pin?apikey="+testKey+"&session_token="+st, body)
		}
		if r.code() != 1236 {
			t.Fatalf("wrong PIN %d: want 1236, got %d %s", i, r.status, r.raw)
		}
	}
	att := e.attempts(uid)
	if !att.Locked(e.clock.Now()) || att.LockType != store.LockCaptcha {
		t.Fatalf("after five failures the account is not captcha-locked: %+v", att)
	}
	profile := e.do("GET", "/identity/v2/manage/account/"+uid+"?apikey="+testKey+"&apisecret="+testSecret, nil)
	if profile.body["IsLoginLocked"] != true || profile.body["LoginLockedType"] != "Captcha" {
		t.Fatalf("profile does not mirror the captcha lock: %s", profile.raw)
	}
	// Locking invalidated the PIN session token: it answers with the lock.
	if r := e.pinLogin(st, testPIN); r.status != 403 || r.code() != 1132 {
		t.Fatalf("PIN login on the invalidated session token: want 403/1132, got %d %s", r.status, r.raw)
	}
	if r := e.loginWith(testEmail, testPass, nil); r.code() != 1132 {
		t.Fatalf("right password without captcha: want 1132, got %s", r.raw)
	}
	if r := e.loginWith(testEmail, testPass, captchaAnswerFields(captcha.ReCAPTCHA, answerBad)); r.code() != 982 {
		t.Fatalf("right password with a bad captcha: want 982, got %s", r.raw)
	}
	if r := e.loginWith(testEmail, "wrong password", ok); r.code() != 966 {
		t.Fatalf("wrong password with a valid captcha: want 966, got %s", r.raw)
	}
	if att := e.attempts(uid); att.Failures != 6 || !att.Locked(e.clock.Now()) {
		t.Fatalf("a wrong password through the lock must count and keep the lock: %+v", att)
	}
	if r := e.loginWith(testEmail, testPass, ok); r.status != 200 {
		t.Fatalf("right password with a valid captcha: %d %s", r.status, r.raw)
	}
	if att, found, _ := e.store.Attempts(t.Context(), store.AccountRef{Tenant: "demo", UID: uid}); found {
		t.Fatalf("a successful login must reset the count and lift the lock: %+v", att)
	}
}

func TestCaptchaAlwaysCoversTheForgotAndResetByTokenCalls(t *testing.T) {
	t.Parallel()
	fake := newFakeProvider(t, captcha.ReCAPTCHA, captchaSecret)
	e := newResetEnv(t, func(c *Config) {
		c.Captcha = &captcha.Config{Provider: captcha.ReCAPTCHA, Secret: captchaSecret, VerifyURL: fake.srv.URL, Always: true}
	})
	e.createPhoneAccount(testEmail, "alice", testPhone, testPIN)
	withAnswer := func(body map[string]string, answer string) map[string]string {
		out := captchaAnswerFields(captcha.ReCAPTCHA, answer)
		for k, v := range body {
			out[k] = v
		}
		return out
	}
	link := "&resetpinurl=" + url.QueryEscape(resetPage)
	for _, c := range []struct{ by, field, value, query string }{
		{"email", "email", testEmail, link},
		{"email", "email", "nobody@example.com", link}, // unknown accounts answer alike
		{"otp", "phone", testPhone, ""},
	} {
		body := map[string]string{c.field: c.value}
		wantCode(t, "forgot by "+c.by+" for "+c.value+" without captcha", e.forgot(c.by, body, c.query), 403, 982)
		wantCode(t, "forgot by "+c.by+" with a rejected captcha", e.forgot(c.by, withAnswer(body, answerBad), c.query), 403, 982)
		wantOK(t, "forgot by "+c.by+" with a solved captcha", e.forgot(c.by, withAnswer(body, answerOK), c.query))
	}
	if r := e.forgot("email", withAnswer(map[string]string{"email": testEmail}, answerBoom), link); r.status != 503 || r.code() != 503 {
		t.Fatalf("forgot with the provider down: want 503, got %d %s", r.status, r.raw)
	}
	_, em := e.nthEmail(1)
	token := tokenFrom(t, em)
	reset := map[string]string{"resettoken": token, "pin": newTestPIN}
	wantCode(t, "reset by token without captcha", e.do("PUT", api("auth/pin/reset/token"), reset), 403, 982)
	wantOK(t, "reset by token with a solved captcha", e.do("PUT", api("auth/pin/reset/token"), withAnswer(reset, answerOK)))
}
