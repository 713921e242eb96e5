package pinauth

import (
	"strings"
	"testing"
)

// TestLoginPageForgotPINEachWayEndsLoggedInWithTheNewPIN: from the PIN
// pad, "Forgot your PIN?" offers the ways the tenant and the account
// allow; a link by email (landing on the page), a code by email, a code
// by SMS and the security answers each set the new PIN (a wrong code or
// answer first says how many tries the account has left), and the password
// once more logs in at the page first asked for, with a PIN device that
// unlocks with the new PIN.
func TestLoginPageForgotPINEachWayEndsLoggedInWithTheNewPIN(t *testing.T) {
	t.Parallel()
	for _, way := range []string{"link", "email", "sms", "answers"} {
		t.Run(way, func(t *testing.T) {
			t.Parallel()
			e := newResetEnv(t, withLoginPage(), withQuestions, func(c *Config) {
				if way == "email" {
					c.Tenants[0].PINResetEmail = "otp"
				}
			})
			e.createPhoneAccount(testEmail, "alice", testPhone, testPIN)
			b := newBrowser(t, e.testEnv)
			b.host = pageHost
			if r := b.passwordLogin("", testEmail, testPass); r.status != 303 {
				t.Fatalf("password login: %d", r.status)
			}
			if way == "answers" {
				tok := e.passwordLogin(testEmail, testPass).str("access_token")
				wantOK(t, "set answers", e.do("PUT", api("auth/account/2fa/securityquestionanswer"),
					answers("q1", "Paris", "q3", "Mrs Doe"), withToken(tok)...))
			}
			delete(b.cookies, sessionCookie)
			pad := b.get("/login?return=%2Fapp%2Fy")
			if !strings.Contains(pad.body, `href="/login/forgotpin?return=%2fapp%2fy"`) {
				t.Fatalf("the PIN pad has no forgot-PIN link:\n%s", pad.body)
			}
			choose := b.get("/login/forgotpin?return=%2Fapp%2Fy")
			offered := map[string]bool{
				"link": strings.Contains(choose.body, `value="link"`), "email": strings.Contains(choose.body, `value="email"`),
				"sms": strings.Contains(choose.body, `value="sms"`), "answers": strings.Contains(choose.body, `by=answers`),
			}
			if !offered[way] || offered["link"] == offered["email"] || !offered["sms"] || offered["answers"] != (way == "answers") {
				t.Fatalf("ways offered %v:\n%s", offered, choose.body)
			}
			var saved page
			switch way {
			case "link":
				sent := b.submit(choose, "/login/forgotpin", "by", "link")
				if !strings.Contains(sent.body, "Check your email") {
					t.Fatalf("link requested: %d\n%s", sent.status, sent.body)
				}
				_, em := e.nthEmail(1)
				landing := b.get(linkIn(t, em.Text))
				if !strings.Contains(landing.body, `name="vtype" value="resetpin"`) || !strings.Contains(landing.body, `id="confirm"`) {
					t.Fatalf("PIN link landing: %d\n%s", landing.status, landing.body)
				}
				saved = b.submit(landing, "/login/reset", "pin", newTestPIN, "confirm", newTestPIN)
			case "email", "sms":
				form := b.submit(choose, "/login/forgotpin", "by", way)
				if !strings.Contains(form.body, `autocomplete="one-time-code"`) {
					t.Fatalf("code requested: %d\n%s", form.status, form.body)
				}
				var text string
				if way == "sms" {
					text = e.sms.WaitMessages(t, 1, mailWait)[0].Body
				} else {
					_, em := e.nthEmail(1)
					text = em.Text
				}
				code := codeFrom(t, text)
				wrong := b.submit(form, "/login/forgotpin", "otp", "000000", "pin", newTestPIN, "confirm", newTestPIN)
				if wrong.status != 403 || wrong.alert() != "That code is not right. Please check it and try again. You have 4 more tries before your account is locked." {
					t.Fatalf("wrong code: %d %q", wrong.status, wrong.alert())
				}
				saved = b.submit(wrong, "/login/forgotpin", "otp", code, "pin", newTestPIN, "confirm", newTestPIN)
			case "answers":
				form := b.get("/login/forgotpin?by=answers&return=%2Fapp%2Fy")
				if !strings.Contains(form.body, "Where were you born?") || strings.Contains(form.body, "Name of your first pet?") {
					t.Fatalf("answers form: want the account's questions only:\n%s", form.body)
				}
				wrong := b.submit(form, "/login/forgotpin", "answer-q1", "Paris", "answer-q3", "nobody", "pin", newTestPIN, "confirm", newTestPIN)
				if wrong.status != 403 || wrong.alert() != "The answers are not right. Please try again. You have 4 more tries before your account is locked." {
					t.Fatalf("wrong answers: %d %q", wrong.status, wrong.alert())
				}
				saved = b.submit(wrong, "/login/forgotpin", "answer-q1", "paris", "answer-q3", "Mrs Doe", "pin", newTestPIN, "confirm", newTestPIN)
			}
			if saved.status != 200 || !strings.Contains(saved.body, "Your new PIN is saved.") || !strings.Contains(saved.body, `value="`+testEmail+`"`) {
				t.Fatalf("after the reset: want the password form filled in, got %d\n%s", saved.status, saved.body)
			}
			done := b.submit(saved, "/login", "identifier", testEmail, "password", testPass)
			if done.status != 303 || done.header.Get("Location") != "/app/y" {
				t.Fatalf("password after the reset: %d to %q", done.status, done.header.Get("Location"))
			}
			delete(b.cookies, sessionCookie)
			if unlocked := b.submit(b.get("/login"), "/login/pin", "pin", newTestPIN); unlocked.status != 303 {
				t.Fatalf("the new PIN on the pad: %d %q", unlocked.status, unlocked.alert())
			}
		})
	}
}
