package webhook

import (
	"testing"
	"time"
)

func TestRetryDelaysDoubleWithinEqualJitterUpToTheCap(t *testing.T) {
	p := RetryPolicy{Attempts: 10, Initial: time.Second, Max: 10 * time.Second}
	for _, c := range []struct {
		attempts int
		lo, hi   time.Duration
	}{
		{1, 500 * time.Millisecond, time.Second},
		{2, time.Second, 2 * time.Second},
		{3, 2 * time.Second, 4 * time.Second},
		{4, 4 * time.Second, 8 * time.Second},
		{5, 5 * time.Second, 10 * time.Second},
		{60, 5 * time.Second, 10 * time.Second}, // no overflow far past the cap
	} {
		if got := p.delay(c.attempts, 0); got != c.lo {
			t.Errorf("delay(%d, jitter 0) = %s, want %s", c.attempts, got, c.lo)
		}
		if got := p.delay(c.attempts, 0.999999999); got < c.hi-time.Millisecond || got > c.hi {
			t.Errorf("delay(%d, jitter→1) = %s, want just under %s", c.attempts, got, c.hi)
		}
	}
	seen := map[time.Duration]bool{}
	for range 20 {
		f := randomFraction()
		if f < 0 || f >= 1 {
			t.Fatalf("randomFraction() = %v, want [0, 1)", f)
		}
		seen[p.delay(3, f)] = true
	}
	if len(seen) < 10 {
		t.Errorf("20 jittered delays took only %d distinct values", len(seen))
	}
}
