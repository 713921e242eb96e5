package pinauth

import (
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/dgraph-io/ristretto/v2"

	"github.com/pinauth/caddy-pinauth/pinauth/tokens"
)

// caches holds the gateway's ristretto caches. Security counters never live
// here: a dropped Set would silently reset them.
//
// Every write that changes an account or a session invalidates the affected
// entries before it returns, and so does every change another process (or
// gateway) announces through the store. Because a reader may fetch a value
// from the store just before such a write and cache it just after,
// invalidations bump a sequence number and readers only cache what they read
// under an unchanged sequence.
type caches struct {
	// tokens maps a raw access token to its verified claims, until exp.
	tokens *liveCache[*verifiedToken]
	// profiles maps profileKey(tenant, uid) to the account and its
	// precomputed identity headers.
	profiles *liveCache[*profileEntry]
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
}

// verifiedToken is a cached, fully verified access token.
type verifiedToken struct {
	raw        string
	tenant     string
	uid        string
	sid        string
	exp        time.Time
	gen        uint64
	profileKey string
	// sidValue is the session header value, shared and immutable.
	sidValue []string
	// upstream, for an access-token handle, is the Authorization value
	// forwarded in its place ("Bearer " and the JWT minted for it), shared
	// and immutable; nil for a JWT, which is forwarded itself.
	upstream []string
	// bound is the Identity last built for this token and the profile
	// entry it came from; rebuilt only when the profile entry changes, so
	// cache hits do not allocate.
	bound atomic.Pointer[boundIdentity]
}

// newVerifiedToken is the cache entry of a verified token with its claims.
func newVerifiedToken(raw string, c *tokens.Claims) *verifiedToken {
	tenant := c.Audience[0]
	return &verifiedToken{
		raw: raw, tenant: tenant, uid: c.Subject, sid: c.SID,
		exp: c.ExpiresAt.Time, profileKey: profileKey(tenant, c.Subject),
		sidValue: []string{c.SID},
	}
}

// cost is the entry's memory for ristretto: the struct, its strings (raw
// keeps the whole Authorization value alive, "Bearer " included), the
// session header slice, the Identity bound to it, and the cache's own
// bookkeeping.
func (vt *verifiedToken) cost() int64 {
	return int64(unsafe.Sizeof(*vt)+unsafe.Sizeof(boundIdentity{})+unsafe.Sizeof("")) + cacheItemOverhead +
		allocCost(len("Bearer ")+len(vt.raw)) +
		stringCost(vt.tenant) + stringCost(vt.uid) + stringCost(vt.sid) + stringCost(vt.profileKey) +
		vt.upstreamCost()
}

// upstreamCost is the memory of the minted JWT a handle's entry holds.
func (vt *verifiedToken) upstreamCost() int64 {
	if vt.upstream == nil {
		return 0
	}
	return int64(unsafe.Sizeof("")) + stringCost(vt.upstream[0])
}

// sessionEntry is a cached valid session: the account it belongs to, so
// that a token naming the session is checked against its owner on a cache
// hit as on a miss (a token re-signed for another sub or aud but carrying
// a live sid must fail either way).
type sessionEntry struct {
	gen    uint64
	tenant string
	uid    string
}

// owns reports whether the session belongs to uid in tenant. It runs on
// every verification of a token the token cache does not hold, so it
// compares in place, without allocating.
func (s *sessionEntry) owns(tenant, uid string) bool { return s.tenant == tenant && s.uid == uid }

// cost is the entry's memory for ristretto: the struct, its strings and
// the cache's bookkeeping (ristretto keeps only hashes of keys).
func (s *sessionEntry) cost() int64 {
	return int64(unsafe.Sizeof(*s)) + cacheItemOverhead + stringCost(s.tenant) + stringCost(s.uid)
}

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

type boundIdentity struct {
	profile *profileEntry
	id      Identity
}

// identity returns the Identity of the token's account in profile p.
func (vt *verifiedToken) identity(p *profileEntry) *Identity {
	if b := vt.bound.Load(); b != nil && b.profile == p {
		return &b.id
	}
	b := &boundIdentity{profile: p, id: p.identity}
	b.id.Session = vt.sid
	vt.bound.Store(b)
	return &b.id
}

func newCaches(budget int64, ttl time.Duration) (*caches, error) {
	c := &caches{ttl: ttl}
	empty := map[string]time.Time{}
	c.revoked.Store(&empty)
	var err error
	// Roughly 45% of the budget each for tokens and profiles, the rest for
	// session states. NumCounters follows ristretto's advice of ten times
	// the expected item count (items of a few hundred bytes). Every cost
	// passed to Set already includes ristretto's bookkeeping
	// (cacheItemOverhead), so its own estimate is switched off.
	if c.tokens, err = newLiveCache(&ristretto.Config[string, *verifiedToken]{
		NumCounters: max(budget*45/100/40, 1000), MaxCost: budget * 45 / 100, BufferItems: 64,
		IgnoreInternalCost: true,
	}); err != nil {
		return nil, err
	}
	if c.profiles, err = newLiveCache(&ristretto.Config[string, *profileEntry]{
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

func (c *caches) close() {
	c.tokens.Close()
	c.profiles.Close()
	c.sessions.Close()
}

// profileKey is the profile cache key of an account.
func profileKey(tenant, uid string) string { return tenant + "\x00" + uid }

// invalidateAccount drops an account's cached profile.
func (c *caches) invalidateAccount(tenant, uid string) {
	c.seq.Add(1)
	c.profiles.Del(profileKey(tenant, uid))
}

// reset drops every cached token, profile and session state, for when
// changes may have gone unannounced. The revoked set stays: it only ever
// makes the gateway stricter.
func (c *caches) reset() {
	c.gen.Add(1)
	c.seq.Add(1)
}

// revokeSessions records revoked sessions so that cached tokens naming them
// stop working at once, and drops their cached state. Entries are kept for
// keepFor (the access-token lifetime): after that no token of the session
// can still be valid.
func (c *caches) revokeSessions(ids []string, now time.Time, keepFor time.Duration) {
	if len(ids) == 0 {
		return
	}
	c.seq.Add(1)
	c.revokedMu.Lock()
	old := *c.revoked.Load()
	next := make(map[string]time.Time, len(old)+len(ids))
	for id, until := range old {
		if until.After(now) {
			next[id] = until
		}
	}
	for _, id := range ids {
		next[id] = now.Add(keepFor)
	}
	c.revoked.Store(&next)
	c.revokedMu.Unlock()
	for _, id := range ids {
		c.sessions.Del(id)
	}
}

// isRevoked reports whether a session was revoked in this process.
func (c *caches) isRevoked(sid string) bool {
	_, ok := (*c.revoked.Load())[sid]
	return ok
}
