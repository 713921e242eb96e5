package pinauth

import (
	"net/http"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/pinauth/caddy-pinauth/pinauth/ratelimit"
)

// X-Origin-IP and X-Origin-User-Agent name the end user of a server-to-
// server call (issue 16, bug 4): honoured with the tenant's API secret or
// from a trusted peer, ignored from anyone else.

// originEnv is a gateway with a tight rate limit, logging to logs; trusted
// says whether the test server's peer (127.0.0.1) counts as a trusted
// proxy speaking for itself.
func originEnv(t *testing.T, trusted bool) (*testEnv, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zapcore.InfoLevel)
	e := newTestEnv(t, func(c *Config) {
		c.Logger = zap.New(core)
		c.RateLimit = ratelimit.Policy{Requests: 3, Window: time.Hour}
		if trusted {
			c.TrustedPeer = func(*http.Request) bool { return true }
		}
	})
	return e, logs
}

// pinLoginAs is a PIN login sent with extra headers (name, value pairs).
func (e *testEnv) pinLoginAs(sessionToken, pin string, header ...string) response {
	e.t.Helper()
	return e.do("POST", api("auth/login/pin")+"&session_token="+sessionToken, map[string]string{"pin": pin}, header...)
}

func lastLoginLocation(r response) any {
	p, _ := r.body["Profile"].(map[string]any)
	return p["LastLoginLocation"]
}

func TestOriginIPOfAServerCallIsTheClientForLimitsLogsAndLastLoginLocation(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		trusted bool
		server  []string // what makes the call server-to-server
	}{
		{"with the API secret", false, []string{"X-LoginRadius-ApiSecret", testSecret}},
		{"from a trusted peer", true, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e, logs := originEnv(t, c.trusted)
			st := e.loggedIn(testEmail).str("session_token")
			as := func(ip string) []string {
				return append([]string{"X-Origin-IP", ip, "X-Origin-User-Agent", "Mobile Safari/" + ip}, c.server...)
			}
			r := e.pinLoginAs(st, testPIN, as("203.0.113.7")...)
			wantOK(t, "PIN login for 203.0.113.7", r)
			if got := lastLoginLocation(r); got != "203.0.113.7" {
				t.Fatalf("LastLoginLocation = %v, want the end user's 203.0.113.7", got)
			}
			// The user at 203.0.113.7 guesses wrong: the per-IP budget (3
			// checks) is theirs, not the app server's (whose password login
			// spent one of its own).
			wantCode(t, "a wrong PIN", e.pinLoginAs(st, "9999", as("203.0.113.7")...), 401, 1236)
			wantCode(t, "another wrong PIN", e.pinLoginAs(st, "9998", as("203.0.113.7")...), 401, 1236)
			wantCode(t, "203.0.113.7 over its budget", e.pinLoginAs(st, testPIN, as("203.0.113.7")...), 429, 429)
			wantOK(t, "another user of the same app server", e.pinLoginAs(st, testPIN, as("2001:db8::1")...))
			failed := logs.FilterMessage("credential check failed").All()
			if len(failed) == 0 {
				t.Fatal("no failure was logged")
			}
			for _, l := range failed {
				f := l.ContextMap()
				if f["client_ip"] != "203.0.113.7" || f["via"] != "127.0.0.1" || f["user_agent"] != "Mobile Safari/203.0.113.7" {
					t.Fatalf("failure log fields %v: want the end user's address and agent, via the app server", f)
				}
			}
			wantCode(t, "an X-Origin-IP that is no address", e.pinLoginAs(st, testPIN, append(c.server, "X-Origin-IP", "203.0.113.7, 10.0.0.1")...), 403, 908)
		})
	}
}

func TestOriginIPFromABrowserIsIgnored(t *testing.T) {
	t.Parallel()
	e, logs := originEnv(t, false)
	st := e.loggedIn(testEmail).str("session_token")
	forged := []string{"X-Origin-IP", "203.0.113.7", "X-Origin-User-Agent", "forged", "User-Agent", "real-browser"}
	r := e.pinLoginAs(st, testPIN, forged...)
	wantOK(t, "PIN login", r)
	if got := lastLoginLocation(r); got != "127.0.0.1" {
		t.Fatalf("LastLoginLocation = %v: a browser's X-Origin-IP was honoured", got)
	}
	// Changing X-Origin-IP must not give a guessing browser a fresh
	// budget: the password login and this PIN login spent two of its 3.
	wantCode(t, "a wrong PIN", e.pinLoginAs(st, "9999", "X-Origin-IP", "198.51.100.1", "User-Agent", "real-browser"), 401, 1236)
	wantCode(t, "the next guess, from another claimed address", e.pinLoginAs(st, "9999", "X-Origin-IP", "198.51.100.2"), 429, 429)
	f := logs.FilterMessage("credential check failed").All()[0].ContextMap()
	if f["client_ip"] != "127.0.0.1" || f["user_agent"] != "real-browser" || f["via"] != nil {
		t.Fatalf("failure log fields %v: want the peer and its own User-Agent", f)
	}
}

func TestAMalformedOriginIPFromABrowserIsNotLookedAt(t *testing.T) {
	t.Parallel()
	e, _ := originEnv(t, false)
	st := e.loggedIn(testEmail).str("session_token")
	wantOK(t, "a PIN login with a malformed X-Origin-IP", e.pinLoginAs(st, testPIN, "X-Origin-IP", "not an address"))
}

func TestAWrongAPISecretIsRefusedOnAnyRoute(t *testing.T) {
	t.Parallel()
	e, _ := originEnv(t, false)
	st := e.loggedIn(testEmail).str("session_token")
	wantCode(t, "a PIN login with a wrong secret", e.pinLoginAs(st, testPIN, "X-LoginRadius-ApiSecret", "not-the-secret", "X-Origin-IP", "203.0.113.7"), 401, 902)
	r := e.pinLoginAs(st, testPIN, "X-LoginRadius-ApiSecret", testSecret)
	wantOK(t, "a PIN login with the right secret and no X-Origin-IP", r)
	if got := lastLoginLocation(r); got != "127.0.0.1" {
		t.Fatalf("LastLoginLocation = %v, want the peer's", got)
	}
}
