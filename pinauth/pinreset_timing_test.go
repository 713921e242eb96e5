//go:build !race && unix

package pinauth

import (
	"bytes"
	"net/http/httptest"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/notify"
)

// TestForgotPINTakesTheSameTimeForKnownAndUnknownAccounts compares the
// forgot-PIN call for an existing account with the call for an unknown
// address by the CPU time of the request path (as the login timing test
// does). The background jobs are held while it measures, so that their
// store work, rendering and SMTP exchange do not land in the tries; run
// afterwards, they mail the account once per call and nobody else.
func TestForgotPINTakesTheSameTimeForKnownAndUnknownAccounts(t *testing.T) {
	forgotTakesTheSameTime(t, "forgot PIN", "/identity/v2/auth/pin/forgot/email?apikey="+testKey+"&resetpinurl=https%3A%2F%2Fapp.example.com%2Freset")
}

// TestForgotPasswordTakesTheSameTimeForKnownAndUnknownAccounts is the same
// comparison for the forgot-password call.
func TestForgotPasswordTakesTheSameTimeForKnownAndUnknownAccounts(t *testing.T) {
	forgotTakesTheSameTime(t, "forgot password", "/identity/v2/auth/password?apikey="+testKey+"&resetpasswordurl=https%3A%2F%2Fapp.example.com%2Freset")
}

// forgotTakesTheSameTime times the forgot call at path (what names it)
// for a known and an unknown email, then runs the held jobs.
func forgotTakesTheSameTime(t *testing.T, what, path string) {
	if testing.Short() {
		t.Skip("timing comparison; skipped with -short")
	}
	e := newResetEnv(t, func(c *Config) {
		c.Email.Limit = notify.SendLimit{PerIdentifier: 1 << 30, PerIP: 1 << 30, Window: time.Hour}
	})
	e.createAccount(testEmail, testPIN)
	// A queue without workers: jobs wait in it.
	e.gw.sends.Close()
	held := notify.NewQueue(e.gw.log, 0)
	e.gw.sends = held
	e.gw.recovery = e.gw.newRecovery()

	call := func(email string) func() int {
		body := []byte(`{"email":"` + email + `"}`)
		return func() int {
			req := httptest.NewRequest("POST", path, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			e.gw.Handle(w, req)
			if w.Body.String() != `{"IsPosted":true}` {
				t.Fatalf("forgot for %s: %d %s", email, w.Code, w.Body)
			}
			return w.Code
		}
	}
	var jobs []notify.Job
	// take empties the queue between tries (untimed), so it never fills.
	take := func() {
		for {
			j, ok := held.Take()
			if !ok {
				return
			}
			jobs = append(jobs, j)
		}
	}
	// A call costs about 100 µs, so one garbage collection (whose
	// background work counts as process CPU) would swamp a try: collect
	// first, then keep the collector off while measuring.
	runtime.GC()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	calls := within15Percent(t, comparison{what: what + " for a known vs an unknown account",
		a: timingCase{call(testEmail), 200}, b: timingCase{call("nobody@example.com"), 200},
		between: take, tries: forgotTries})
	take()

	// Each call queued one job; only the known account's send an email.
	if len(jobs) != 2*calls {
		t.Fatalf("%d jobs queued for %d calls", len(jobs), 2*calls)
	}
	for _, j := range jobs {
		j.Run(t.Context())
	}
	mails := e.smtp.Mails()
	if len(mails) != calls {
		t.Fatalf("%d emails sent for %d calls for the account", len(mails), calls)
	}
	for _, m := range mails {
		if len(m.To) != 1 || m.To[0] != testEmail {
			t.Fatalf("an email to %v", m.To)
		}
	}
}

// forgotTries is how many timed pairs a round of the comparison takes: a
// call is cheap, so many pairs steady the median.
const forgotTries = 200
