package cache

import (
	"context"
	"time"
	"unsafe"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

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

// SessionReader reads a login session (store.Reader.Session).
type SessionReader interface {
	Session(ctx context.Context, id string) (store.Session, bool, error)
}

// SessionValid reports whether a login session exists, belongs to the
// account uid of tenant (the token's sub and aud) and is neither revoked
// nor expired, reading it from r on a miss and caching a live one. The
// owner is checked on a cache hit too: the cache holds which account a
// session belongs to, not merely that it is valid.
func (c *Caches) SessionValid(ctx context.Context, r SessionReader, sid, tenant, uid string, now time.Time) (bool, error) {
	if c.isRevoked(sid) {
		return false, nil
	}
	if se, ok := c.sessions.Get(sid); ok && se.gen == c.gen.Load() {
		return se.owns(tenant, uid), nil
	}
	st := c.Stamp()
	s, found, err := r.Session(ctx, sid)
	if err != nil {
		return false, err
	}
	live := found && s.RevokedAt.IsZero() && now.Before(s.ExpiresAt)
	if ttl := c.ttl; live {
		ttl = min(ttl, s.ExpiresAt.Sub(now))
		if c.seq.Load() == st.seq {
			se := &sessionEntry{gen: st.gen, tenant: s.Tenant, uid: s.UID}
			c.sessions.SetWithTTL(sid, se, se.cost(), ttl)
		}
	}
	return live && s.Tenant == tenant && s.UID == uid, nil
}

// SessionCached reports whether the state of session sid is cached in the
// current generation (for tests).
func (c *Caches) SessionCached(sid string) bool {
	se, ok := c.sessions.Get(sid)
	return ok && se.gen == c.gen.Load()
}
