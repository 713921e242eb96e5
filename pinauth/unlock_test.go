package pinauth

import (
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/captcha"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres"
	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres/pgtest"
)

// lockedEnv is a gateway whose lockout sets typ (a reCAPTCHA provider is
// configured, asked for only by a captcha lock), on st (nil: SQLite), with
// an account locked by five wrong PINs. It returns the account's uid and
// an access token from before the lock.
func lockedEnv(t *testing.T, typ store.LockType, st store.Store) (e *testEnv, uid, tok string) {
	t.Helper()
	fake := newFakeProvider(t, captcha.ReCAPTCHA, captchaSecret)
	cfg := func(c *Config) {
		c.Lockout.Type = typ
		c.AccessTTL = 2 * time.Hour
		c.Captcha = &captcha.Config{Provider: captcha.ReCAPTCHA, Secret: captchaSecret, VerifyURL: fake.srv.URL, After: 100,
			Timeout: time.Second}
	}
	if st == nil {
		e = newTestEnv(t, cfg)
	} else {
		e = newTestEnvOn(t, st, cfg)
	}
	login := e.loggedIn(testEmail)
	lockWithWrongPINs(t, e, login.str("session_token"), 5)
	uid = uidOf(login)
	if att := e.attempts(uid); !att.Locked(e.clock.Now()) || att.LockType != typ {
		t.Fatalf("the account is not locked with %s: %+v", typ, att)
	}
	return e, uid, login.str("access_token")
}

// unlock calls PUT /auth/account/unlock with tok and body.
func (e *testEnv) unlock(tok string, body any) response {
	e.t.Helper()
	return e.do("PUT", api("auth/account/unlock"), body, withToken(tok)...)
}

// TestUnlockLiftsACaptchaLockWithASolvedCaptcha: the captcha lock is the
// user's to lift with a solved captcha; the failure count goes with it.
func TestUnlockLiftsACaptchaLockWithASolvedCaptcha(t *testing.T) {
	t.Parallel()
	run := func(t *testing.T, st store.Store) {
		e, uid, tok := lockedEnv(t, store.LockCaptcha, st)
		wantCode(t, "no access token", e.do("PUT", api("auth/account/unlock"), map[string]string{}), 400, 1060)
		wantCode(t, "a bad access token", e.unlock("not-a-token", captchaAnswerFields(captcha.ReCAPTCHA, answerOK)), 403, 905)
		wantCode(t, "no captcha", e.unlock(tok, map[string]string{}), 403, 1132)
		wantCode(t, "a wrong captcha", e.unlock(tok, captchaAnswerFields(captcha.ReCAPTCHA, answerBad)), 403, 982)
		if att := e.attempts(uid); !att.Locked(e.clock.Now()) {
			t.Fatal("a refused unlock lifted the lock")
		}
		r := e.unlock(tok, map[string]any{"g-recaptcha-response": answerOK, "securityanswer": map[string]string{}})
		if r.status != 200 || r.raw != `{"IsPosted":true}` {
			t.Fatalf("unlock: %d %s", r.status, r.raw)
		}
		if att := e.attempts(uid); att.Locked(e.clock.Now()) || att.Failures != 0 {
			t.Fatalf("after the unlock: %+v; want no lock and no failures", att)
		}
		wantOK(t, "a password login without captcha", e.passwordLogin(testEmail, testPass))
		wantCode(t, "unlocking an unlocked account", e.unlock(tok, captchaAnswerFields(captcha.ReCAPTCHA, answerOK)), 403, 1221)
	}
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		run(t, nil)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		st, err := postgres.Open(t.Context(), postgres.Config{DSN: pgtest.DSN(t), MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		run(t, st)
	})
}

// TestUnlockNeverLiftsASuspendOrBlockLock: a stolen access token must not
// undo the lockout that guessing caused, nor an operator's block: each
// lock answers with its own error, a solved captcha notwithstanding, and
// stays.
func TestUnlockNeverLiftsASuspendOrBlockLock(t *testing.T) {
	t.Parallel()
	for typ, code := range map[store.LockType]int{store.LockSuspend: 1198, store.LockBlock: 991} {
		t.Run(string(typ), func(t *testing.T) {
			t.Parallel()
			e, uid, tok := lockedEnv(t, typ, nil)
			r := e.unlock(tok, captchaAnswerFields(captcha.ReCAPTCHA, answerOK))
			wantCode(t, "unlock", r, 403, code)
			if typ == store.LockSuspend && r.body["Data"] == nil {
				t.Errorf("the suspend lock's refusal has no LoginLockedTimeout: %s", r.raw)
			}
			if att := e.attempts(uid); !att.Locked(e.clock.Now()) || att.LockType != typ || att.Failures != 5 {
				t.Fatalf("after the refused unlock: %+v; want the %s lock kept", att, typ)
			}
		})
	}
}
