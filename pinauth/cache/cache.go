// Package cache holds the gateway's ristretto caches of verified access
// tokens, account profiles and session states, and keeps them coherent:
// every write that changes an account or a session invalidates the
// affected entries before it returns, and so does every change another
// process (or gateway) announces through the store (Caches.Follow).
// Security counters never live here: a dropped Set would silently reset
// them.
//
// A reader may fetch a value from the store just before such a write and
// cache it just after, so invalidations bump a sequence number and readers
// only cache what they read under an unchanged sequence: take a Stamp
// before reading the store, and hand it to the Keep method.
package cache

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/ristretto/v2"
)

// Caches holds the gateway's ristretto caches. Make one with New.
type Caches struct {
	// tokens maps a raw access token to its verified claims, until exp.
	tokens *liveCache[*Token]
	// profiles maps ProfileKey(tenant, uid) to the account and its
	// precomputed identity headers.
	profiles *liveCache[*Profile]
	// sessions maps the id of a session found valid to the account it
	// belongs to, with the generation it was cached in.
	sessions *liveCache[*sessionEntry]
	// ttl bounds how long an entry may be served when an invalidation from
	// another process is missed.
	ttl time.Duration

	seq atomic.Uint64
	// gen counts resets: an entry cached in an older generation is a miss.
	// That drops everything at once without ristretto's Clear, which must
	// not run alongside Get and Set.
	gen atomic.Uint64

	// revoked holds sessions revoked while tokens naming them may still be
	// cached, checked on every cache hit (copy-on-write: reads take no lock).
	revoked   atomic.Pointer[map[string]time.Time]
	revokedMu sync.Mutex

	follow follower
	fresh  freshness
}

// Stamp is the state of the caches when a read from the store began: what
// was read under it is cached only if no invalidation came in between.
type Stamp struct{ seq, gen uint64 }

// Stamp is the state of the caches now, taken before reading the store.
func (c *Caches) Stamp() Stamp { return Stamp{seq: c.seq.Load(), gen: c.gen.Load()} }

// cacheItemOverhead is ristretto's memory per item: its store map slot
// (with the slack of map growth), the expiry bucket and the admission
// policy's entry. Measured by TestCacheCostsCoverMemory.
const cacheItemOverhead = 224

// stringCost is the heap a string's bytes take.
func stringCost(s string) int64 { return allocCost(len(s)) }

// allocCost is what an allocation of n bytes takes: the runtime rounds up
// to its size classes, 16 bytes apart for small objects and coarser above
// (an upper bound of them, not the exact table).
func allocCost(n int) int64 {
	switch {
	case n <= 128:
		return int64(n+15) &^ 15
	case n <= 512:
		return int64(n+31) &^ 31
	}
	return int64(n+127) &^ 127
}

// New makes caches that together hold about budget bytes, each entry for
// at most ttl.
func New(budget int64, ttl time.Duration) (*Caches, error) {
	c := &Caches{ttl: ttl}
	c.fresh.init(budget)
	empty := map[string]time.Time{}
	c.revoked.Store(&empty)
	var err error
	// Roughly 45% of the budget each for tokens and profiles, the rest for
	// session states. NumCounters follows ristretto's advice of ten times
	// the expected item count (items of a few hundred bytes). Every cost
	// passed to Set already includes ristretto's bookkeeping
	// (cacheItemOverhead), so its own estimate is switched off.
	if c.tokens, err = newLiveCache(&ristretto.Config[string, *Token]{
		NumCounters: max(budget*45/100/40, 1000), MaxCost: budget * 45 / 100, BufferItems: 64,
		IgnoreInternalCost: true,
	}); err != nil {
		return nil, err
	}
	if c.profiles, err = newLiveCache(&ristretto.Config[string, *Profile]{
		NumCounters: max(budget*45/100/100, 1000), MaxCost: budget * 45 / 100, BufferItems: 64,
		IgnoreInternalCost: true,
	}); err != nil {
		return nil, err
	}
	if c.sessions, err = newLiveCache(&ristretto.Config[string, *sessionEntry]{
		NumCounters: max(budget/10/10, 1000), MaxCost: budget / 10, BufferItems: 64,
		IgnoreInternalCost: true,
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// Close releases the caches. Calls during and after it are safe: reads
// miss and writes are dropped (see liveCache).
func (c *Caches) Close() {
	c.tokens.Close()
	c.profiles.Close()
	c.sessions.Close()
}

// Wait blocks until the writes made so far are applied (for tests and
// benchmarks).
func (c *Caches) Wait() {
	c.tokens.Wait()
	c.profiles.Wait()
	c.sessions.Wait()
}

// InvalidateAccount drops an account's cached profile, and its tokens'
// claims are not trusted until the journal tells whether they changed.
func (c *Caches) InvalidateAccount(tenant, uid string) {
	key := ProfileKey(tenant, uid)
	c.markSuspect(key)
	c.seq.Add(1)
	c.profiles.Del(key)
}

// Reset drops every cached token, profile and session state, for when
// changes may have gone unannounced. The revoked set stays: it only ever
// makes the gateway stricter.
func (c *Caches) Reset() {
	c.gen.Add(1)
	c.seq.Add(1)
	// Nor are claims trusted until a poll that began after now has read
	// the journal of what went unannounced.
	c.fresh.mu.Lock()
	c.fresh.resets.Add(1)
	c.fresh.heard.Store(0)
	c.fresh.mu.Unlock()
}

// RevokeSessions records revoked sessions so that cached tokens naming them
// stop working at once, and drops their cached state. Entries are kept for
// keepFor (the access-token lifetime): after that no token of the session
// can still be valid.
//
// The set holds at most as many sessions as the staleness sets hold
// accounts. A revocation past the bound is not recorded; instead claims
// are not trusted for keepFor and everything cached is dropped, so every
// token, that one's too, is checked against the store again, which knows
// it revoked.
func (c *Caches) RevokeSessions(ids []string, now time.Time, keepFor time.Duration) {
	if len(ids) == 0 {
		return
	}
	c.seq.Add(1)
	c.revokedMu.Lock()
	old := *c.revoked.Load()
	next := make(map[string]time.Time, min(len(old)+len(ids), c.fresh.limit))
	for id, until := range old {
		if until.After(now) {
			next[id] = until
		}
	}
	dropped := false
	for _, id := range ids {
		if _, ok := next[id]; !ok && len(next) >= c.fresh.limit {
			dropped = true
			continue
		}
		next[id] = now.Add(keepFor)
	}
	if dropped {
		// Claims untrusted first: a token re-verified once the
		// generation moves must not be served from them.
		c.fresh.mu.Lock()
		c.fresh.overflowUntil.Store(c.fresh.clock() + int64(keepFor))
		c.fresh.mu.Unlock()
		c.gen.Add(1)
	}
	c.revoked.Store(&next)
	c.revokedMu.Unlock()
	for _, id := range ids {
		c.sessions.Del(id)
	}
}

// SessionRevoked reports whether session sid is in the revoked set.
func (c *Caches) SessionRevoked(sid string) bool { return c.isRevoked(sid) }

// isRevoked reports whether a session was revoked in this process.
func (c *Caches) isRevoked(sid string) bool {
	_, ok := (*c.revoked.Load())[sid]
	return ok
}
