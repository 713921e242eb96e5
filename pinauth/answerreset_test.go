package pinauth

import (
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/ratelimit"
	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres"
	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres/pgtest"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// onEachStore runs body on a gateway over a SQLite file and on one over a
// PostgreSQL database of its own (skipped, as everywhere, without a
// PostgreSQL server); newEnv starts the gateway with the given mutations.
func onEachStore(t *testing.T, body func(t *testing.T, newEnv func(...func(*Config)) *testEnv)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		body(t, func(m ...func(*Config)) *testEnv { return newTestEnv(t, m...) })
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		dsn := pgtest.DSN(t)
		body(t, func(m ...func(*Config)) *testEnv {
			st, err := postgres.Open(t.Context(), postgres.Config{DSN: dsn, MaxConns: 4})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return newTestEnvOn(t, st, m...)
		})
	})
}

// answerTestUser and answerTestPhone are the account's other identifiers.
const (
	answerTestUser  = "alice_sq"
	answerTestPhone = "+15557654321"
)

// withAnswerTests is the answer reset tests' tenant: three questions,
// events written to the outbox, and a rate limit no test reaches.
func withAnswerTests(c *Config) {
	withQuestions(c)
	withWebhook(c)
	c.RateLimit = ratelimit.Policy{Requests: 1 << 20, Window: time.Minute}
}

// answeredAccount creates an account with an email, a username, a phone,
// testPass and testPIN, which answers q1 "Paris" and q2 "Rex", and returns
// its uid.
func answeredAccount(t *testing.T, e *testEnv) string {
	t.Helper()
	r := e.do("POST", manage("manage/account"), map[string]any{
		"Email":    []map[string]string{{"Type": "Primary", "Value": testEmail}},
		"Password": testPass, "UserName": answerTestUser, "PhoneId": answerTestPhone,
		"PINInfo": map[string]string{"PIN": testPIN},
	})
	wantOK(t, "create account", r)
	login := e.passwordLogin(testEmail, testPass)
	wantOK(t, "login", login)
	wantOK(t, "set answers", e.do("PUT", api("auth/account/2fa/securityquestionanswer"),
		answers("q1", "Paris", "q2", "Rex"), withToken(login.str("access_token"))...))
	return r.str("Uid")
}

// resetPasswordByAnswer calls PUT /auth/password/securityanswer with the
// identifier field (email, username or phone) set to ident.
func resetPasswordByAnswer(e *testEnv, field, ident string, ans map[string]string, password string) response {
	e.t.Helper()
	return e.do("PUT", api("auth/password/securityanswer"),
		map[string]any{field: ident, "securityanswer": ans, "password": password})
}

var rightAnswers = map[string]string{"q2": " rex ", "q1": "PARIS"}

// TestResetPasswordBySecurityAnswerWithEmailUsernameOrPhone: each
// identifier's right answers set the new password; the reset ends every
// session (their access tokens and PIN session tokens stop at once),
// clears the failure count a wrong answer left and records ResetPassword.
func TestResetPasswordBySecurityAnswerWithEmailUsernameOrPhone(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, newEnv func(...func(*Config)) *testEnv) {
		e := newEnv(withAnswerTests)
		uid := answeredAccount(t, e)
		current := testPass
		for i, by := range []struct{ field, ident string }{
			{"email", testEmail}, {"username", answerTestUser}, {"phone", answerTestPhone},
		} {
			login := e.passwordLogin(testEmail, current)
			wantOK(t, "login before the reset by "+by.field, login)
			wantCode(t, "a wrong answer by "+by.field,
				resetPasswordByAnswer(e, by.field, by.ident, map[string]string{"q1": "Paris", "q2": "Fido"}, "never set 123"), 403, int(lrerr.CodeSecurityAnswerWrong))
			if got := e.attempts(uid).Failures; got != 1 {
				t.Fatalf("by %s: the wrong answer counted %d failures, want 1", by.field, got)
			}
			next := "new password by " + by.field
			r := resetPasswordByAnswer(e, by.field, by.ident, rightAnswers, next)
			if r.status != 200 || r.raw != `{"IsPosted":true}` {
				t.Fatalf("reset by %s: %d %s", by.field, r.status, r.raw)
			}
			if got := e.attempts(uid).Failures; got != 0 {
				t.Fatalf("by %s: the reset left %d failures", by.field, got)
			}
			if r := e.protected(login.str("access_token")); r.status == 200 {
				t.Fatalf("by %s: the access token of a session before the reset still works", by.field)
			}
			wantCode(t, "the PIN session token before the reset", e.pinLogin(login.str("session_token"), testPIN), 403, int(lrerr.CodeSessionTokenInvalid))
			wantCode(t, "the old password", e.passwordLogin(testEmail, current), 401, int(lrerr.CodeBadCredentials))
			wantOK(t, "the new password", e.passwordLogin(testEmail, next))
			if got := e.countHook(uid, webhook.ResetPassword); got != i+1 {
				t.Fatalf("after the reset by %s: %d ResetPassword events, want %d", by.field, got, i+1)
			}
			current = next
		}
		if a := e.account(uid); len(a.SecurityAnswers) != 2 {
			t.Fatalf("the resets changed the answers: %d left", len(a.SecurityAnswers))
		}
	})
}

// TestResetPasswordBySecurityAnswerRefusalsChangeNothing: every refusal
// the route documents and the gateway can give, with the password, the
// sessions and the outbox unchanged afterwards.
func TestResetPasswordBySecurityAnswerRefusalsChangeNothing(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, newEnv func(...func(*Config)) *testEnv) {
		e := newEnv(withAnswerTests)
		uid := answeredAccount(t, e)
		other := e.createAccount("bob@example.com", testPIN) // no answers
		const next = "never set 123"
		// Blocked: right answers, still refused. (Blocking ends the
		// sessions, so the one kept below starts after.)
		wantOK(t, "block", e.do("PUT", manage("manage/account/"+uid), map[string]any{"IsActive": false}))
		wantCode(t, "a blocked account", resetPasswordByAnswer(e, "email", testEmail, rightAnswers, next), 403, int(lrerr.CodeAccountBlocked))
		wantOK(t, "unblock", e.do("PUT", manage("manage/account/"+uid), map[string]any{"IsActive": true}))
		login := e.passwordLogin(testEmail, testPass)
		wantOK(t, "login", login)
		path := api("auth/password/securityanswer")
		cases := []struct {
			what   string
			path   string
			body   any
			status int
			code   lrerr.Code
			fields []string
		}{
			{"no identifier", path, map[string]any{"securityanswer": rightAnswers, "password": next}, 403, lrerr.CodeValidation, []string{"Email"}},
			{"a short password", path, map[string]any{"email": testEmail, "securityanswer": rightAnswers, "password": "short"}, 403, lrerr.CodeValidation, []string{"Password"}},
			{"no answers", path, map[string]any{"email": testEmail, "password": next}, 403, lrerr.CodeValidation, []string{"SecurityQuestionAnswer"}},
			{"one answer missing", path, map[string]any{"email": testEmail, "securityanswer": map[string]string{"q1": "Paris"}, "password": next}, 403, lrerr.CodeValidation, []string{"SecurityQuestionAnswer"}},
			{"answers as a list", path, map[string]any{"email": testEmail, "securityanswer": []string{"Paris"}, "password": next}, 400, lrerr.CodePutBodyInvalid, nil},
			{"not JSON", path, "{", 400, lrerr.CodePutBodyInvalid, nil},
			{"an unknown account", path, map[string]any{"email": "nobody@example.com", "securityanswer": rightAnswers, "password": next}, 403, lrerr.CodeSecurityAnswersNotSet, nil},
			{"an account without answers", path, map[string]any{"email": "bob@example.com", "securityanswer": rightAnswers, "password": next}, 403, lrerr.CodeSecurityAnswersNotSet, nil},
			{"an unknown API key", "/identity/v2/auth/password/securityanswer?apikey=nope", map[string]any{"email": testEmail, "securityanswer": rightAnswers, "password": next}, 403, lrerr.CodeAPIKeyUnauthorized, nil},
			{"no API key", "/identity/v2/auth/password/securityanswer", map[string]any{"email": testEmail, "securityanswer": rightAnswers, "password": next}, 403, lrerr.CodeParameterFormat, nil},
		}
		for _, c := range cases {
			r := e.do("PUT", c.path, c.body)
			wantCode(t, c.what, r, c.status, int(c.code))
			if c.fields != nil {
				if got := fieldNames(r); len(got) != 1 || got[0] != c.fields[0] {
					t.Errorf("%s: fields %v, want %v", c.what, got, c.fields)
				}
			}
		}

		if got := e.countHook(uid, webhook.ResetPassword) + e.countHook(other, webhook.ResetPassword); got != 0 {
			t.Fatalf("%d ResetPassword events after refusals", got)
		}
		wantCode(t, "the password never set", e.passwordLogin(testEmail, next), 401, int(lrerr.CodeBadCredentials))
		wantOK(t, "the password kept", e.passwordLogin(testEmail, testPass))
		wantOK(t, "the PIN session kept", e.pinLogin(login.str("session_token"), testPIN))
	})
}

// TestAnswerResetsLockAfterTheLockoutsAttemptsForKnownAndUnknownAccounts:
// wrong answers lock the account after the lockout's attempts, after
// which even the right ones are refused; an unknown identifier and an
// account without answers lock after as many, with the same answer, and
// the account without answers is not itself locked.
func TestAnswerResetsLockAfterTheLockoutsAttemptsForKnownAndUnknownAccounts(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, newEnv func(...func(*Config)) *testEnv) {
		e := newEnv(withAnswerTests)
		uid := answeredAccount(t, e)
		other := e.createAccount("bob@example.com", testPIN)
		wrong := map[string]string{"q1": "Paris", "q2": "Fido"}
		for _, c := range []struct {
			what, email string
			code        lrerr.Code
		}{
			{"the account", testEmail, lrerr.CodeSecurityAnswerWrong},
			{"an unknown account", "nobody@example.com", lrerr.CodeSecurityAnswersNotSet},
			{"an account without answers", "bob@example.com", lrerr.CodeSecurityAnswersNotSet},
		} {
			for i := range e.gw.cfg.Lockout.Attempts {
				r := resetPasswordByAnswer(e, "email", c.email, wrong, "never set 123")
				wantCode(t, c.what+", try "+string(rune('1'+i)), r, 403, int(c.code))
			}
			wantCode(t, c.what+", locked", resetPasswordByAnswer(e, "email", c.email, rightAnswers, "never set 123"), 403, int(lrerr.CodeLockedSuspended))
		}
		if !e.attempts(uid).Locked(e.clock.Now()) {
			t.Fatal("the account with answers is not locked")
		}
		if e.attempts(other).Locked(e.clock.Now()) || e.attempts(other).Failures != 0 {
			t.Fatalf("the account without answers was counted: %+v", e.attempts(other))
		}
		wantOK(t, "the account without answers still logs in", e.passwordLogin("bob@example.com", testPass))
		wantCode(t, "the password never set", e.passwordLogin(testEmail, "never set 123"), 403, int(lrerr.CodeLockedSuspended))
	})
}
