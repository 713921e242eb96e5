package cache

import (
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/tokens"
)

// Token is a cached, fully verified access token. Its fields are shared
// by every request that presents the token and must not be modified once
// it is kept.
type Token struct {
	// Raw is the token as presented.
	Raw    string
	Tenant string
	UID    string
	SID    string
	// Exp is when the token expires.
	Exp time.Time
	// ProfileKey is the profile cache key of the token's account.
	ProfileKey string
	// SIDValue is the session header value, shared and immutable.
	SIDValue []string
	// Upstream, for an access-token handle, is the Authorization value
	// forwarded in its place ("Bearer " and the JWT minted for it), shared
	// and immutable; nil for a JWT, which is forwarded itself.
	Upstream []string
	// Claimed, for a token carrying its account's profile (tokens.Profile)
	// and verified while claims were trusted, is the profile entry made
	// from its claims: served while Caches.TrustsClaims says so; nil
	// otherwise.
	Claimed *Profile

	gen uint64
	// bound is the Identity last built for this token and the profile
	// entry it came from; rebuilt only when the profile entry changes, so
	// cache hits do not allocate.
	bound atomic.Pointer[boundIdentity]
}

// NewToken is the cache entry of a verified token with its claims.
func NewToken(raw string, c *tokens.Claims) *Token {
	tenant := c.Audience[0]
	return &Token{
		Raw: raw, Tenant: tenant, UID: c.Subject, SID: c.SID,
		Exp: c.ExpiresAt.Time, ProfileKey: ProfileKey(tenant, c.Subject),
		SIDValue: []string{c.SID},
	}
}

// cost is the entry's memory for ristretto: the struct, its strings (raw
// keeps the whole Authorization value alive, "Bearer " included), the
// session header slice, the Identity bound to it, and the cache's own
// bookkeeping.
func (vt *Token) cost() int64 {
	return int64(unsafe.Sizeof(*vt)+unsafe.Sizeof(boundIdentity{})+unsafe.Sizeof("")) + cacheItemOverhead +
		allocCost(len("Bearer ")+len(vt.Raw)) +
		stringCost(vt.Tenant) + stringCost(vt.UID) + stringCost(vt.SID) + stringCost(vt.ProfileKey) +
		vt.upstreamCost() + vt.claimedCost()
}

// claimedCost is the memory of the profile entry made from the claims.
func (vt *Token) claimedCost() int64 {
	if vt.Claimed == nil {
		return 0
	}
	return vt.Claimed.cost()
}

// upstreamCost is the memory of the minted JWT a handle's entry holds.
func (vt *Token) upstreamCost() int64 {
	if vt.Upstream == nil {
		return 0
	}
	return int64(unsafe.Sizeof("")) + stringCost(vt.Upstream[0])
}

type boundIdentity struct {
	profile *Profile
	id      Identity
}

// Identity returns the Identity of the token's account in profile p. It
// is shared and must not be modified.
func (vt *Token) Identity(p *Profile) *Identity {
	if b := vt.bound.Load(); b != nil && b.profile == p {
		return &b.id
	}
	b := &boundIdentity{profile: p, id: p.Identity}
	b.id.Session = vt.SID
	vt.bound.Store(b)
	return &b.id
}

// Token returns the verification of raw cached in the current generation,
// unless its session was revoked since.
func (c *Caches) Token(raw string) (*Token, bool) {
	vt, ok := c.tokens.Get(raw)
	if !ok || vt.gen != c.gen.Load() || !secret.Equal(vt.Raw, raw) || c.isRevoked(vt.SID) {
		return nil, false
	}
	return vt, true
}

// KeepToken caches vt, verified under st, until it expires (at most the
// cache TTL, so a revocation made by another process and missed is
// honoured within it), unless an invalidation came in between.
func (c *Caches) KeepToken(st Stamp, vt *Token, now time.Time) {
	vt.gen = st.gen
	if ttl := min(vt.Exp.Sub(now), c.ttl); ttl > 0 && c.seq.Load() == st.seq {
		c.tokens.SetWithTTL(vt.Raw, vt, vt.cost(), ttl)
	}
}
