package cache

import (
	"sync"
	"time"

	"github.com/dgraph-io/ristretto/v2"
)

// liveCache is a ristretto cache that stays safe to use during and after
// its Close. Caddy cleans up an old config (and so closes its gateway)
// while the old servers still finish their last requests, and ristretto
// must not be written to while it closes: its Close closes the channel a
// concurrent Set or Del sends on. Once closed, Get misses and writes are
// dropped, so a late request reads the store as on a cold cache.
type liveCache[V any] struct {
	mu     sync.RWMutex // held for reading by every call, for writing by Close
	closed bool
	c      *ristretto.Cache[string, V]
}

// newLiveCache wraps a new ristretto cache made from cfg.
func newLiveCache[V any](cfg *ristretto.Config[string, V]) (*liveCache[V], error) {
	c, err := ristretto.NewCache(cfg)
	if err != nil {
		return nil, err
	}
	return &liveCache[V]{c: c}, nil
}

// Get returns the value cached under key; a miss once closed.
func (l *liveCache[V]) Get(key string) (V, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		var zero V
		return zero, false
	}
	return l.c.Get(key)
}

// SetWithTTL caches v under key for ttl with cost; dropped once closed.
func (l *liveCache[V]) SetWithTTL(key string, v V, cost int64, ttl time.Duration) bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return !l.closed && l.c.SetWithTTL(key, v, cost, ttl)
}

// Del drops key; nothing to do once closed.
func (l *liveCache[V]) Del(key string) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if !l.closed {
		l.c.Del(key)
	}
}

// Wait blocks until the writes made so far are applied (for tests and
// benchmarks).
func (l *liveCache[V]) Wait() {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if !l.closed {
		l.c.Wait()
	}
}

// Close stops the cache's goroutines, once no call is in progress.
func (l *liveCache[V]) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.closed = true
		l.c.Close()
	}
}
