package pinauth

import (
	"strings"
	"unsafe"

	"github.com/pinauth/caddy-pinauth/pinauth/identityheaders"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// profileEntry is what the protected path needs of an account: whether it
// may use its tokens, and its identity with the header values precomputed
// so the hot path only assigns slices. Nothing else of the account is kept:
// the cache holds many entries, and hashes have no business in it.
type profileEntry struct {
	gen      uint64 // the cache generation it was cached in
	active   bool
	identity Identity // Session is empty: it belongs to the token
	// hdr are the identity header values of identity.
	hdr identityheaders.Values
}

func newProfileEntry(a store.Account) *profileEntry {
	e := &profileEntry{active: a.Active}
	f := [identityheaders.NumFields]string{
		identityheaders.UID:      a.UID,
		identityheaders.Tenant:   a.Tenant,
		identityheaders.Email:    a.PrimaryEmail(),
		identityheaders.Username: a.Username,
		identityheaders.Name:     lrprofile.DisplayName(&a),
		identityheaders.Roles:    strings.Join(a.Roles, ","),
	}
	// A value no header may carry is left out of the placeholders too.
	e.hdr = identityheaders.NewValues(&f)
	e.identity = Identity{
		UID:      f[identityheaders.UID],
		Tenant:   f[identityheaders.Tenant],
		Email:    f[identityheaders.Email],
		Username: f[identityheaders.Username],
		Name:     f[identityheaders.Name],
		Roles:    f[identityheaders.Roles],
	}
	return e
}

// cost is the entry's memory for ristretto: the struct, its strings, a
// one-element slice per header value, and the cache's own bookkeeping
// (TestCacheCostsCoverMemory checks the sum covers what an entry holds).
func (e *profileEntry) cost() int64 {
	n := int64(unsafe.Sizeof(*e)) + cacheItemOverhead
	for s := range e.hdr.Strings() {
		n += stringCost(s) + int64(unsafe.Sizeof(""))
	}
	return n
}
