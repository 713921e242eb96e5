//go:build !race && unix

// The race detector slows argon2id tenfold and unevenly; timing is
// measured without it.

package pinauth

import (
	"bytes"
	"cmp"
	"net/http/httptest"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/hashing"
	"github.com/pinauth/caddy-pinauth/pinauth/ratelimit"
)

// timingTries is how many timed pairs of tries a comparison gets in a
// round (after warm-up).
const timingTries = 60

// timingRounds bounds the rounds of timingTries pairs: a comparison
// that is not within the bound after one round takes another, and is
// judged on all its pairs, up to this many.
const timingRounds = 4

// processCPU is the CPU time the whole test process has used (argon2id
// hashes on a goroutine of its own, so one thread's time would miss it).
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// timed is one try: its wall-clock and process CPU time.
type timed struct{ wall, cpu time.Duration }

// timedPair is a try of each case, run back to back.
type timedPair struct{ a, b timed }

// timingCase is one side of a comparison: the request and the status it
// must answer.
type timingCase struct {
	call func() int
	want int
}

// comparison times two cases in back-to-back pairs: between (when not
// nil) runs untimed before every try.
type comparison struct {
	what    string
	a, b    timingCase
	between func()
	tries   int // pairs in a round
}

func (c comparison) try(t *testing.T, side timingCase) timed {
	t.Helper()
	if c.between != nil {
		c.between()
	}
	c0, w0 := processCPU(), time.Now()
	if got := side.call(); got != side.want {
		t.Fatalf("%s: timed request answered %d, want %d", c.what, got, side.want)
	}
	return timed{wall: time.Since(w0), cpu: processCPU() - c0}
}

// round times tries pairs, alternating which case goes first so that
// drift falls on both alike.
func (c comparison) round(t *testing.T, tries int) []timedPair {
	t.Helper()
	pairs := make([]timedPair, tries)
	for i := range pairs {
		if i%2 == 0 {
			pairs[i].a = c.try(t, c.a)
			pairs[i].b = c.try(t, c.b)
		} else {
			pairs[i].b = c.try(t, c.b)
			pairs[i].a = c.try(t, c.a)
		}
	}
	return pairs
}

// within15Percent fails unless the two cases cost the same within 15%,
// in process CPU time (the work done, which other processes barely
// inflate) and in wall-clock time, each judged by the median, over the
// pairs, of the ratio of a's try to b's.
//
// A noisy neighbour on a loaded 2-core machine changes what a try costs
// by tens of percent from one moment to the next. Each side's median,
// compared as they were, landed 15-21% apart in 4 of 200 loaded runs of
// the forgot tests, where the median of the paired CPU ratios never left
// 0.97-1.04: the two tries of a pair see the same load, and the median
// ignores the outliers. Wall-clock time is noisier still (35 ms tries
// took 31 to 800 ms, waiting for a CPU), so a comparison that is not
// within the bound after a round takes more pairs, up to timingRounds
// rounds, and is judged on all of them: a real difference stays out of
// the bound however many pairs are taken (a missing dummy hash is a
// ratio in the hundreds, a dummy a third cheaper 1.5), noise narrows.
// It returns how many times it called each case, warm-up included.
func within15Percent(t *testing.T, c comparison) (calls int) {
	t.Helper()
	if c.tries == 0 {
		c.tries = timingTries
	}
	const warmUp = 5
	c.round(t, warmUp) // caches, connections, the allocator
	var pairs []timedPair
	var cpu, wall float64
	for range timingRounds {
		pairs = append(pairs, c.round(t, c.tries)...)
		cpu = pairedRatio(pairs, func(x timed) time.Duration { return x.cpu })
		wall = pairedRatio(pairs, func(x timed) time.Duration { return x.wall })
		if within(cpu) && within(wall) {
			break
		}
	}
	ca, cb, wa, wb := sideMedians(pairs)
	t.Logf("%s: %d pairs; median paired ratio: CPU %.3f, wall-clock %.3f; medians: CPU %v vs %v, wall-clock %v vs %v",
		c.what, len(pairs), cpu, wall, ca, cb, wa, wb)
	if !within(cpu) {
		t.Errorf("%s: back-to-back tries differ in CPU time by a median factor of %.3f over %d pairs (more than 15%%)", c.what, cpu, len(pairs))
	}
	if !within(wall) {
		t.Errorf("%s: back-to-back tries differ in wall-clock time by a median factor of %.3f over %d pairs (more than 15%%)", c.what, wall, len(pairs))
	}
	return warmUp + len(pairs)
}

// within reports whether a ratio is within 15% of one.
func within(ratio float64) bool { return ratio <= 1.15 && ratio >= 1/1.15 }

// pairedRatio is the median over the pairs of a's cost over b's.
func pairedRatio(pairs []timedPair, cost func(timed) time.Duration) float64 {
	ratios := make([]float64, len(pairs))
	for i, p := range pairs {
		ratios[i] = float64(cost(p.a)) / float64(max(cost(p.b), 1))
	}
	return median(ratios)
}

// sideMedians returns each case's median CPU and wall-clock time, for
// the log.
func sideMedians(pairs []timedPair) (cpuA, cpuB, wallA, wallB time.Duration) {
	var ca, cb, wa, wb []time.Duration
	for _, p := range pairs {
		ca, cb = append(ca, p.a.cpu), append(cb, p.b.cpu)
		wa, wb = append(wa, p.a.wall), append(wb, p.b.wall)
	}
	return median(ca), median(cb), median(wa), median(wb)
}

func median[T cmp.Ordered](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// atRealHashCost skips a timing comparison under -short and returns the
// configuration it compares on: the default hash cost, and neither the
// lockout nor the rate limit in the way of its hundreds of tries (each a
// counted failure).
func atRealHashCost(t *testing.T) func(*Config) {
	t.Helper()
	if testing.Short() {
		t.Skip("timing comparison runs at the real hash cost; skipped with -short")
	}
	return func(c *Config) {
		c.Hash = hashing.DefaultParams
		c.Lockout.Attempts = 1 << 30
		c.RateLimit = ratelimit.Policy{Requests: 1 << 30, Window: time.Minute}
	}
}

// handleJSON sends a JSON body straight to the gateway's handler (no
// network: the timed work is the gateway's) and returns the answer.
func handleJSON(gw *Gateway, method, path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader([]byte(body)))
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	gw.Handle(w, req)
	return w
}

// TestTimingRevealsNeitherAccountsNorSessionTokens compares, at the real
// default hash cost, a wrong password for an existing account with any
// password for an unknown one, and a wrong PIN on a valid session token
// with a PIN on an invalid one.
func TestTimingRevealsNeitherAccountsNorSessionTokens(t *testing.T) {
	e := newTestEnv(t, atRealHashCost(t))
	login := e.loggedIn(testEmail)
	call := func(path, body string) func() int {
		return func() int { return handleJSON(e.gw, "POST", path, body).Code }
	}
	loginPath := "/identity/v2/auth/login?apikey=" + testKey
	within15Percent(t, comparison{what: "wrong password vs unknown account",
		a: timingCase{call(loginPath, `{"email":"`+testEmail+`","password":"wrong password"}`), 401},
		b: timingCase{call(loginPath, `{"email":"nobody@example.com","password":"wrong password"}`), 401}})

	pinPath := "/identity/v2/auth/login/pin?apikey=" + testKey + "&session_token="
	within15Percent(t, comparison{what: "valid vs invalid session token",
		a: timingCase{call(pinPath+login.str("session_token"), `{"pin":"9999"}`), 401},
		b: timingCase{call(pinPath+"00000000-0000-4000-8000-000000000000", `{"pin":"9999"}`), 403}})
}
