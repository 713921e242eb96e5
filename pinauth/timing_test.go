//go:build !race && unix

// The race detector slows argon2id tenfold and unevenly; timing is
// measured without it.

package pinauth

import (
	"bytes"
	"net/http/httptest"
	"slices"
	"syscall"
	"testing"
	"time"
)

// timingTries is how many timed tries each case gets (after warm-up).
const timingTries = 60

// processCPU is the CPU time the whole test process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// timed is one try: its wall-clock and process CPU time.
type timed struct{ wall, cpu time.Duration }

// medianPair times a and b interleaved (alternating which goes first, so
// drift and noise from other processes fall on both alike) and returns
// the tries of each.
func medianPair(t *testing.T, a, b func() int, wantA, wantB int) (ta, tb []timed) {
	t.Helper()
	timeOne := func(f func() int, want int) timed {
		c0, w0 := processCPU(), time.Now()
		if got := f(); got != want {
			t.Fatalf("timed request answered %d, want %d", got, want)
		}
		return timed{wall: time.Since(w0), cpu: processCPU() - c0}
	}
	for range 5 { // warm-up: caches, connections, the allocator
		timeOne(a, wantA)
		timeOne(b, wantB)
	}
	for i := range timingTries {
		if i%2 == 0 {
			ta = append(ta, timeOne(a, wantA))
			tb = append(tb, timeOne(b, wantB))
		} else {
			tb = append(tb, timeOne(b, wantB))
			ta = append(ta, timeOne(a, wantA))
		}
	}
	return ta, tb
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// within15Percent fails unless the two cases cost the same within 15%,
// judged two ways that stay steady on a loaded 2-core machine: the
// medians of the process CPU time each try used (the work done, which
// other processes do not inflate), and the median of the wall-clock
// ratios of tries run back to back (which see the same load). The plain
// wall-clock medians are logged: under a load average of 10 they alone
// drift apart by up to 15% while the CPU medians stay within 4%.
func within15Percent(t *testing.T, what string, ta, tb []timed) {
	t.Helper()
	var wa, wb, ca, cb []time.Duration
	var ratios []float64
	for i := range ta {
		wa, wb = append(wa, ta[i].wall), append(wb, tb[i].wall)
		ca, cb = append(ca, ta[i].cpu), append(cb, tb[i].cpu)
		ratios = append(ratios, float64(ta[i].wall)/float64(tb[i].wall))
	}
	slices.Sort(ratios)
	ratio := ratios[len(ratios)/2]
	a, b := median(ca), median(cb)
	t.Logf("%s: CPU medians %v vs %v, paired wall ratio median %.3f, wall medians %v vs %v",
		what, a, b, ratio, median(wa), median(wb))
	if d := (a - b).Abs(); float64(d) > 0.15*float64(min(a, b)) {
		t.Errorf("%s: CPU medians %v and %v differ by more than 15%%", what, a, b)
	}
	if ratio > 1.15 || ratio < 1/1.15 {
		t.Errorf("%s: back-to-back tries differ in wall-clock time by a median factor of %.3f (more than 15%%)", what, ratio)
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
