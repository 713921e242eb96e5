package cache

import (
	"strings"
	"unsafe"

	"github.com/pinauth/caddy-pinauth/pinauth/identityheaders"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/tokens"
)

// Identity is what the protected path learned about an authenticated
// request. The same values are set as identity headers.
type Identity struct {
	UID      string
	Tenant   string
	Email    string
	Username string
	Name     string
	// Roles is the comma-separated role list.
	Roles   string
	Session string
}

// Profile is what the protected path needs of an account: whether it
// may use its tokens, and its identity with the header values precomputed
// so the hot path only assigns slices. Nothing else of the account is kept:
// the cache holds many entries, and hashes have no business in it.
type Profile struct {
	gen uint64 // the cache generation it was cached in
	// Active is false for a blocked account.
	Active bool
	// Identity is the account's; its Session is empty: it belongs to the
	// token (see Token.Identity).
	Identity Identity
	// Headers are the identity header values of Identity.
	Headers identityheaders.Values
}

// NewProfile is the profile entry of account a.
func NewProfile(a store.Account) *Profile {
	e := &Profile{Active: a.Active}
	f := [identityheaders.NumFields]string{
		identityheaders.UID:      a.UID,
		identityheaders.Tenant:   a.Tenant,
		identityheaders.Email:    a.PrimaryEmail(),
		identityheaders.Username: a.Username,
		identityheaders.Name:     lrprofile.DisplayName(&a),
		identityheaders.Roles:    strings.Join(a.Roles, ","),
	}
	e.setHeaders(&f)
	return e
}

// NewClaimedProfile is the profile entry of account uid of tenant as an
// access token's claims p describe it (tokens.Profile): an active account
// (tokens are issued only to active accounts; blocking one stales them).
func NewClaimedProfile(tenant, uid string, p *tokens.Profile) *Profile {
	e := &Profile{Active: true}
	f := [identityheaders.NumFields]string{
		identityheaders.UID:      uid,
		identityheaders.Tenant:   tenant,
		identityheaders.Email:    p.Email,
		identityheaders.Username: p.Username,
		identityheaders.Name:     p.Name,
		identityheaders.Roles:    strings.Join(p.Roles, ","),
	}
	e.setHeaders(&f)
	return e
}

// setHeaders sets the identity and its header values from f.
func (e *Profile) setHeaders(f *[identityheaders.NumFields]string) {
	// A value no header may carry is left out of the placeholders too.
	e.Headers = identityheaders.NewValues(f)
	e.Identity = Identity{
		UID:      f[identityheaders.UID],
		Tenant:   f[identityheaders.Tenant],
		Email:    f[identityheaders.Email],
		Username: f[identityheaders.Username],
		Name:     f[identityheaders.Name],
		Roles:    f[identityheaders.Roles],
	}
}

// cost is the entry's memory for ristretto: the struct, its strings, a
// one-element slice per header value, and the cache's own bookkeeping
// (TestCacheCostsCoverMemory checks the sum covers what an entry holds).
func (e *Profile) cost() int64 {
	n := int64(unsafe.Sizeof(*e)) + cacheItemOverhead
	for s := range e.Headers.Strings() {
		n += stringCost(s) + int64(unsafe.Sizeof(""))
	}
	return n
}

// ProfileKey is the profile cache key of an account.
func ProfileKey(tenant, uid string) string { return tenant + "\x00" + uid }

// Profile returns the profile entry cached under key in the current
// generation.
func (c *Caches) Profile(key string) (*Profile, bool) {
	if p, ok := c.profiles.Get(key); ok && p.gen == c.gen.Load() {
		return p, true
	}
	return nil, false
}

// KeepProfile caches p, read from the store under st, under key, unless an
// invalidation came in between.
func (c *Caches) KeepProfile(st Stamp, key string, p *Profile) {
	p.gen = st.gen
	if c.seq.Load() == st.seq {
		c.profiles.SetWithTTL(key, p, p.cost(), c.ttl)
	}
}
