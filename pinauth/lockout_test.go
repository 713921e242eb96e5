package pinauth

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/pinauth/caddy-pinauth/pinauth/captcha"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// manageURL is the management URL of an account.
func manageURL(uid string) string {
	return "/identity/v2/manage/account/" + uid + "?apikey=" + testKey + "&apisecret=" + testSecret
}

// lockWithWrongPINs makes attempts wrong PIN logins, each answered 1236.
func lockWithWrongPINs(t *testing.T, e *testEnv, sessionToken string, attempts int) {
	t.Helper()
	for i := 1; i <= attempts; i++ {
		if r := e.pinLogin(sessionToken, "9999"); r.status != 401 || r.code() != 1236 {
			t.Fatalf("wrong PIN %d: want 401/1236, got %d %s", i, r.status, r.raw)
		}
	}
}

func TestSuspendLockAnswers1198UntilItsEndThenStartsAfresh(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	uid := e.createAccount(testEmail, testPIN)
	for i := 1; i <= 5; i++ {
		if r := e.passwordLogin(testEmail, "wrong password"); r.code() != 966 {
			t.Fatalf("wrong password %d: want 966, got %s", i, r.raw)
		}
	}
	lockedAt := e.clock.Now()
	r := e.passwordLogin(testEmail, testPass)
	if r.status != 403 || r.code() != 1198 {
		t.Fatalf("right password while suspended: want 403/1198, got %d %s", r.status, r.raw)
	}
	data, _ := r.body["Data"].(map[string]any)
	until, err := time.Parse(time.RFC3339Nano, fmt.Sprint(data["LoginLockedTimeout"]))
	if err != nil || !until.Equal(lockedAt.Add(15*time.Minute)) {
		t.Fatalf("LoginLockedTimeout = %v (%v), want %v", data["LoginLockedTimeout"], err, lockedAt.Add(15*time.Minute))
	}
	p := e.do("GET", manageURL(uid), nil)
	if p.body["IsLoginLocked"] != true || p.body["LoginLockedType"] != "Suspend" {
		t.Fatalf("profile does not mirror the suspension: %s", p.raw)
	}
	e.clock.Advance(15*time.Minute - time.Millisecond)
	if r := e.passwordLogin(testEmail, testPass); r.code() != 1198 {
		t.Fatalf("a millisecond before the end: want 1198, got %s", r.raw)
	}
	e.clock.Advance(time.Millisecond)
	if r := e.passwordLogin(testEmail, testPass); r.status != 200 {
		t.Fatalf("at the lock's end: want 200, got %d %s", r.status, r.raw)
	}
}

func TestFailuresOutsideTheWindowDoNotAddUp(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	uid := e.createAccount(testEmail, testPIN)
	for i := 0; i < 4; i++ {
		e.passwordLogin(testEmail, "wrong password")
	}
	e.clock.Advance(15 * time.Minute)
	for i := 0; i < 4; i++ {
		if r := e.passwordLogin(testEmail, "wrong password"); r.code() != 966 {
			t.Fatalf("wrong password %d of the new window: want 966, got %s", i+1, r.raw)
		}
	}
	if att := e.attempts(uid); att.Failures != 4 || att.LockType != store.LockNone {
		t.Fatalf("attempts = %+v, want 4 failures and no lock", att)
	}
}

func TestBlockLockHoldsUntilAnOperatorLiftsIt(t *testing.T) {
	t.Parallel()
	for _, unlock := range []map[string]any{{"IsLoginLocked": false}, {"IsActive": true}} {
		t.Run(fmt.Sprint(unlock), func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t, func(c *Config) { c.Lockout.Type = store.LockBlock })
			login := e.loggedIn(testEmail)
			uid := login.body["Profile"].(map[string]any)["Uid"].(string)
			lockWithWrongPINs(t, e, login.str("session_token"), 5)
			e.clock.Advance(365 * 24 * time.Hour)
			if r := e.passwordLogin(testEmail, testPass); r.status != 403 || r.code() != 991 {
				t.Fatalf("a year later: want 403/991, got %d %s", r.status, r.raw)
			}
			p := e.do("GET", manageURL(uid), nil)
			if p.body["IsLoginLocked"] != true || p.body["LoginLockedType"] != "Block" {
				t.Fatalf("profile does not mirror the block: %s", p.raw)
			}
			// An unrelated profile edit leaves the block in place.
			if r := e.do("PUT", manageURL(uid), map[string]any{"FirstName": "Alicia"}); r.status != 200 {
				t.Fatalf("profile edit: %d %s", r.status, r.raw)
			}
			if r := e.passwordLogin(testEmail, testPass); r.code() != 991 {
				t.Fatalf("after an unrelated edit: want 991, got %s", r.raw)
			}
			r := e.do("PUT", manageURL(uid), unlock)
			if r.status != 200 || r.body["IsLoginLocked"] != false || r.body["LoginLockedType"] != "None" {
				t.Fatalf("unlock with %v: %d %s", unlock, r.status, r.raw)
			}
			if r := e.passwordLogin(testEmail, testPass); r.status != 200 {
				t.Fatalf("login after unlock: %d %s", r.status, r.raw)
			}
		})
	}
}

func TestIsActiveTrueDoesNotLiftASuspension(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	uid := e.createAccount(testEmail, testPIN)
	for i := 0; i < 5; i++ {
		e.passwordLogin(testEmail, "wrong password")
	}
	if r := e.do("PUT", manageURL(uid), map[string]any{"IsActive": true}); r.status != 200 {
		t.Fatalf("PUT IsActive: %d %s", r.status, r.raw)
	}
	if r := e.passwordLogin(testEmail, testPass); r.code() != 1198 {
		t.Fatalf("suspension after IsActive true: want 1198, got %s", r.raw)
	}
	if r := e.do("PUT", manageURL(uid), map[string]any{"IsLoginLocked": false}); r.status != 200 {
		t.Fatalf("unlock: %d %s", r.status, r.raw)
	}
	if r := e.passwordLogin(testEmail, testPass); r.status != 200 {
		t.Fatalf("login after IsLoginLocked false: %d %s", r.status, r.raw)
	}
}

func TestEveryLockTypeCanBeLiftedWithIsLoginLockedFalse(t *testing.T) {
	t.Parallel()
	fake := newFakeProvider(t, captcha.ReCAPTCHA, captchaSecret)
	for _, typ := range []store.LockType{store.LockSuspend, store.LockCaptcha, store.LockBlock} {
		t.Run(string(typ), func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t, func(c *Config) {
				c.Lockout.Type = typ
				c.Captcha = &captcha.Config{Provider: captcha.ReCAPTCHA, Secret: captchaSecret, VerifyURL: fake.srv.URL, After: 100}
			})
			login := e.loggedIn(testEmail)
			uid := login.body["Profile"].(map[string]any)["Uid"].(string)
			lockWithWrongPINs(t, e, login.str("session_token"), 5)
			if r := e.passwordLogin(testEmail, testPass); r.status != 403 {
				t.Fatalf("right password while locked (%s): %d %s", typ, r.status, r.raw)
			}
			if r := e.do("PUT", manageURL(uid), map[string]any{"IsLoginLocked": false}); r.status != 200 || r.body["IsLoginLocked"] != false {
				t.Fatalf("unlock: %d %s", r.status, r.raw)
			}
			r := e.passwordLogin(testEmail, testPass)
			if r.status != 200 {
				t.Fatalf("login after unlock: %d %s", r.status, r.raw)
			}
			if r := e.pinLogin(r.str("session_token"), testPIN); r.status != 200 {
				t.Fatalf("PIN login on a new session token after unlock: %d %s", r.status, r.raw)
			}
		})
	}
}

// lockErrorCodes are the codes of each lock type.
var lockErrorCodes = map[store.LockType]int{store.LockSuspend: 1198, store.LockCaptcha: 1132, store.LockBlock: 991}

func TestConcurrentWrongPINsGetExactlyTheAllowedAttempts(t *testing.T) {
	t.Parallel()
	fake := newFakeProvider(t, captcha.ReCAPTCHA, captchaSecret)
	for _, typ := range []store.LockType{store.LockSuspend, store.LockCaptcha, store.LockBlock} {
		t.Run(string(typ), func(t *testing.T) {
			t.Parallel()
			core, logs := observer.New(zapcore.InfoLevel)
			e := newTestEnv(t, func(c *Config) {
				c.Lockout.Type = typ
				c.Captcha = &captcha.Config{Provider: captcha.ReCAPTCHA, Secret: captchaSecret, VerifyURL: fake.srv.URL, After: 100}
				c.HashQueueTimeout = time.Minute // a queue 503 is not what this test is about
				c.Webhooks = []webhook.Webhook{{URL: "http://127.0.0.1:9/hook", Secret: "webhook-secret-0123456789"}}
				c.Logger = zap.New(core)
			})
			login := e.loggedIn(testEmail)
			uid := login.body["Profile"].(map[string]any)["Uid"].(string)
			st := login.str("session_token")
			codes := concurrently(200, func() int { return e.pinLogin(st, "9999").code() })
			if codes[1236] != 5 || codes[lockErrorCodes[typ]] != 195 {
				t.Fatalf("200 concurrent wrong PINs got %v; want exactly 5 × 1236 and 195 × %d", codes, lockErrorCodes[typ])
			}
			if r := e.pinLogin(st, testPIN); r.code() != lockErrorCodes[typ] {
				t.Fatalf("right PIN after the race: want %d, got %s", lockErrorCodes[typ], r.raw)
			}
			events, err := e.store.Events(t.Context(), store.EventFilter{UID: uid})
			if err != nil {
				t.Fatal(err)
			}
			blocks := 0
			for _, ev := range events {
				if ev.Hook == webhook.BlockAccount {
					blocks++
				}
			}
			if blocks != 1 {
				t.Fatalf("BlockAccount events = %d, want exactly 1", blocks)
			}
			if n := logs.FilterMessage("account locked").FilterLevelExact(zapcore.WarnLevel).Len(); n != 1 {
				t.Fatalf("Warn 'account locked' lines = %d, want 1", n)
			}
			if n := logs.FilterMessage("credential check failed").FilterField(zap.String("reason", "pin")).Len(); n != 5 {
				t.Fatalf("Info lines for wrong PINs = %d, want 5", n)
			}
		})
	}
}

func TestConcurrentWrongPasswordsGetExactlyTheAllowedAttempts(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, func(c *Config) { c.HashQueueTimeout = time.Minute })
	e.createAccount(testEmail, testPIN)
	codes := concurrently(200, func() int { return e.passwordLogin(testEmail, "wrong password").code() })
	if codes[966] != 5 || codes[1198] != 195 {
		t.Fatalf("200 concurrent wrong passwords got %v; want exactly 5 × 966 and 195 × 1198", codes)
	}
	if r := e.passwordLogin(testEmail, testPass); r.code() != 1198 {
		t.Fatalf("right password after the race: want 1198, got %s", r.raw)
	}
	e.clock.Advance(15 * time.Minute)
	if r := e.passwordLogin(testEmail, testPass); r.status != 200 {
		t.Fatalf("right password after the suspension: %d %s", r.status, r.raw)
	}
}

// concurrently runs f n times at once and counts its results.
func concurrently(n int, f func() int) map[int]int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	start := make(chan struct{})
	codes := map[int]int{}
	for range n {
		wg.Go(func() {
			<-start
			code := f()
			mu.Lock()
			codes[code]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	return codes
}

func TestFailureLogLinesCarryClientTenantAndReasonButNoSecret(t *testing.T) {
	t.Parallel()
	core, logs := observer.New(zapcore.InfoLevel)
	e := newTestEnv(t, func(c *Config) { c.Logger = zap.New(core) })
	login := e.loggedIn(testEmail)
	e.passwordLogin(testEmail, "wrong password 1")
	e.passwordLogin("nobody@example.com", "wrong password 2")
	e.pinLogin(login.str("session_token"), "9999")
	e.pinLogin("00000000-0000-4000-8000-000000000000", "8888")
	bearer := []string{"Authorization", "Bearer " + login.str("access_token")}
	e.do("PUT", "/identity/v2/auth/pin/change?apikey="+testKey, map[string]string{"oldPIN": "7777", "newPIN": "5830"}, bearer...)
	e.do("PUT", "/identity/v2/auth/account/reauth/pin?apikey="+testKey, map[string]string{"pin": "6666"}, bearer...)
	want := []string{"password", "unknown_account", "pin", "invalid_session_token", "pin_change", "pin_reauth"}
	got := logs.FilterMessage("credential check failed").All()
	if len(got) != len(want) {
		t.Fatalf("%d failure lines, want %d: %v", len(got), len(want), got)
	}
	for i, entry := range got {
		f := entry.ContextMap()
		if entry.Level != zapcore.InfoLevel || f["client_ip"] != "127.0.0.1" || f["tenant"] != "demo" || f["reason"] != want[i] {
			t.Errorf("line %d = %v %v, want Info with client_ip, tenant demo, reason %s", i, entry.Level, f, want[i])
		}
	}
	noSecretsLogged(t, logs, "wrong password 1", "wrong password 2", "9999", "8888", "7777", "6666", testPass,
		login.str("session_token"), login.str("access_token"))
}
