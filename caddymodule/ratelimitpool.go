package caddymodule

import (
	"github.com/caddyserver/caddy/v2"

	"github.com/pinauth/caddy-pinauth/pinauth/ratelimit"
)

// rateLimiters holds the per-IP rate-limit state, one per store (the same
// users), shared by every handler and config generation using that store.
// A reload provisions the new config before it cleans up the old one, so
// the counts survive it; they are dropped when no config uses the store.
var rateLimiters = caddy.NewUsagePool()

// pooledLimiter adapts a limiter to caddy.Destructor. It owns no goroutine
// or file, so there is nothing to stop.
type pooledLimiter struct {
	*ratelimit.Limiter
}

// Destruct implements caddy.Destructor.
func (pooledLimiter) Destruct() error { return nil }

// acquireRateLimiter returns the limiter of the store named storeKey,
// creating it on first use, and the key to release it with.
func acquireRateLimiter(storeKey string) (*ratelimit.Limiter, string) {
	key := "rate_limit:" + storeKey
	val, _, _ := rateLimiters.LoadOrNew(key, func() (caddy.Destructor, error) {
		return pooledLimiter{ratelimit.New(0)}, nil
	})
	return val.(pooledLimiter).Limiter, key
}

// releaseRateLimiter drops one reference taken by acquireRateLimiter.
func releaseRateLimiter(key string) error {
	_, err := rateLimiters.Delete(key)
	return err
}
