//go:build !race

// The race detector slows argon2id tenfold and unevenly; timing is
// measured without it.

package pinauth

import (
	"bytes"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

// timingTries is how many timed tries each case gets (after warm-up).
const timingTries = 60

// medianPair times a and b interleaved (alternating which goes first, so
// drift and noise from other processes fall on both alike) and returns
// their medians.
func medianPair(t *testing.T, a, b func() int, wantA, wantB int) (time.Duration, time.Duration) {
	t.Helper()
	timeOne := func(f func() int, want int) time.Duration {
		start := time.Now()
		if got := f(); got != want {
			t.Fatalf("timed request answered %d, want %d", got, want)
		}
		return time.Since(start)
	}
	for range 5 { // warm-up: caches, connections, the allocator
		timeOne(a, wantA)
		timeOne(b, wantB)
	}
	var da, db []time.Duration
	for i := range timingTries {
		if i%2 == 0 {
			da = append(da, timeOne(a, wantA))
			db = append(db, timeOne(b, wantB))
		} else {
			db = append(db, timeOne(b, wantB))
			da = append(da, timeOne(a, wantA))
		}
	}
	slices.Sort(da)
	slices.Sort(db)
	return da[len(da)/2], db[len(db)/2]
}

// within15Percent fails unless the medians differ by at most 15% of the
// smaller.
func within15Percent(t *testing.T, what string, a, b time.Duration) {
	t.Helper()
	t.Logf("%s: medians %v vs %v", what, a, b)
	if d := (a - b).Abs(); float64(d) > 0.15*float64(min(a, b)) {
		t.Fatalf("%s: medians %v and %v differ by more than 15%%", what, a, b)
	}
}

// TestTimingRevealsNeitherAccountsNorSessionTokens compares, at the real
// default hash cost, a wrong password for an existing account with any
// password for an unknown one, and a wrong PIN on a valid session token
// with a PIN on an invalid one.
func TestTimingRevealsNeitherAccountsNorSessionTokens(t *testing.T) {
	if testing.Short() {
		t.Skip("timing comparison runs at the real hash cost; skipped with -short")
	}
	e := newTestEnv(t, func(c *Config) {
		c.Hash = DefaultHashParams
		c.Lockout.Attempts = 1 << 30 // every try below is a counted failure
		c.RateLimit = RateLimitPolicy{Requests: 1 << 30, Window: time.Minute}
	})
	login := e.loggedIn(testEmail)
	call := func(path, body string) func() int {
		return func() int {
			req := httptest.NewRequest("POST", path, bytes.NewReader([]byte(body)))
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			e.gw.Handle(w, req)
			return w.Code
		}
	}
	loginPath := "/identity/v2/auth/login?apikey=" + testKey
	known, unknown := medianPair(t,
		call(loginPath, `{"email":"`+testEmail+`","password":"wrong password"}`),
		call(loginPath, `{"email":"nobody@example.com","password":"wrong password"}`),
		401, 401)
	within15Percent(t, "wrong password vs unknown account", known, unknown)

	pinPath := "/identity/v2/auth/login/pin?apikey=" + testKey + "&session_token="
	valid, invalid := medianPair(t,
		call(pinPath+login.str("session_token"), `{"pin":"9999"}`),
		call(pinPath+"00000000-0000-4000-8000-000000000000", `{"pin":"9999"}`),
		401, 403)
	within15Percent(t, "valid vs invalid session token", valid, invalid)
}
