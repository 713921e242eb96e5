package pinauth

import (
	"strings"
	"testing"
	"time"
)

// TestLoginPagePasswordFormSaysTriesLeftAlikeForUnknownAccounts: the
// password form says how many tries are left, as the PIN pad does, and
// then the lock with its end in words and as a time. An email that has no
// account reads the same sentences, so the form does not tell which
// accounts exist.
func TestLoginPagePasswordFormSaysTriesLeftAlikeForUnknownAccounts(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withLoginPage())
	e.createAccount(testEmail, testPIN)
	alerts := func(ident string) []string {
		b := newBrowser(t, e)
		var out []string
		for range 5 {
			r := b.passwordLogin("", ident, "not the password")
			out = append(out, r.alert())
			if !strings.Contains(r.body, `id="password" name="password" type="password" autocomplete="current-password" required autofocus aria-invalid="true"`) {
				t.Fatalf("%s: the password field is not marked after a wrong password", ident)
			}
		}
		return out
	}
	known, unknown := alerts(testEmail), alerts("nobody@example.com")
	until := e.clock.Now().Add(15 * time.Minute).UTC().Format("15:04")
	for i, want := range []string{"You have 4 more tries", "You have 3 more tries", "You have 2 more tries", "You have 1 more try",
		"locked for 15 minutes, until " + until + " UTC. You can log in with your password after that, or choose a new password now"} {
		if !strings.Contains(known[i], want) {
			t.Errorf("wrong password %d: %q does not say %q", i+1, known[i], want)
		}
		if known[i] != unknown[i] {
			t.Errorf("wrong password %d: an account reads %q, an unknown email %q", i+1, known[i], unknown[i])
		}
	}
}
