package webhook

import (
	"encoding/binary"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
)

// RetryPolicy is how a webhook's failed deliveries are retried: the n-th
// retry waits a random time between half and all of Initial·2^(n-1),
// capped at Max ("equal jitter": spread out, yet never much sooner than
// the exponential schedule). After Attempts attempts in all the event is
// dead: kept, logged, and delivered again only when replayed.
type RetryPolicy struct {
	// Attempts is the number of delivery attempts, the first included.
	// Default: DefaultAttempts.
	Attempts int
	// Initial is the longest wait before the first retry.
	// Default: DefaultRetryInitial.
	Initial time.Duration
	// Max caps every wait. Default: DefaultRetryMax.
	Max time.Duration
}

// delay is the wait after the attempts-th failed attempt (1 for the
// first). jitter is uniform in [0, 1).
func (p RetryPolicy) delay(attempts int, jitter float64) time.Duration {
	d := p.Initial
	for i := 1; i < attempts && d < p.Max; i++ {
		d *= 2
	}
	d = min(d, p.Max)
	return d/2 + time.Duration(jitter*float64(d-d/2))
}

// randomFraction returns a uniform value in [0, 1) from crypto/rand.
func randomFraction() float64 {
	return float64(binary.BigEndian.Uint64(secret.Bytes(8))>>11) / (1 << 53)
}

// withDefaults fills p's zero fields.
func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Attempts <= 0 {
		p.Attempts = DefaultAttempts
	}
	if p.Initial <= 0 {
		p.Initial = DefaultRetryInitial
	}
	if p.Max <= 0 {
		p.Max = DefaultRetryMax
	}
	p.Max = max(p.Max, p.Initial)
	return p
}
