package pinauth

import (
	"net/http"
	"net/textproto"
	"strings"
	"unsafe"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// The identity headers, in the order of identityHeaders.names.
const (
	hdrUID = iota
	hdrTenant
	hdrEmail
	hdrUsername
	hdrName
	hdrRoles
	hdrSession
	numIdentityHeaders
)

// identitySuffixes name the identity headers after the prefix.
var identitySuffixes = [numIdentityHeaders]string{"Uid", "Tenant", "Email", "Username", "Name", "Roles", "Session"}

// identityHeaders knows the header names the gateway sets and which
// client-sent headers it removes.
type identityHeaders struct {
	names [numIdentityHeaders]string
	// stripPrefixes are normalized (lower-case, '-' for '_' and '.')
	// prefixes; any request header whose normalized name starts with one
	// is removed before anything else happens.
	stripPrefixes []string
	// stripNames are normalized names removed the same way.
	stripNames []string
	// preset are the configured header preset's headers; pipeRoles is
	// set when one of them needs the |-separated roles.
	preset    []presetHeader
	pipeRoles bool
	// presetUser is set when a preset header carries srcUser.
	presetUser bool
}

func newIdentityHeaders(prefix string) identityHeaders {
	var h identityHeaders
	for i, suffix := range identitySuffixes {
		h.names[i] = textproto.CanonicalMIMEHeaderKey(prefix + suffix)
	}
	h.stripPrefixes = append([]string{normalizeHeaderName(prefix)}, presetStripPrefixes...)
	if !hasFoldedPrefix(DefaultHeaderPrefix, h.stripPrefixes[0]) {
		// Apps are written for the default names, and an app moved
		// behind a gateway with a custom prefix may still read them:
		// client-sent X-Auth-* go too.
		h.stripPrefixes = append(h.stripPrefixes, normalizeHeaderName(DefaultHeaderPrefix))
	}
	h.stripNames = presetStripNames
	return h
}

// normalizeHeaderName folds the spellings upstream frameworks treat as the
// same header (X-Auth-Uid, x_auth_uid, X.Auth.Uid) into one form.
func normalizeHeaderName(s string) string {
	b := []byte(strings.ToLower(s))
	for i, c := range b {
		if c == '_' || c == '.' {
			b[i] = '-'
		}
	}
	return string(b)
}

// hasFoldedPrefix reports whether name, normalized, starts with prefix
// (already normalized), without allocating.
func hasFoldedPrefix(name, prefix string) bool {
	if len(name) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := name[i]
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c == '_' || c == '.':
			c = '-'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

// strip removes every client-sent identity header, in any spelling. It runs
// first on every proxied request: a forged X-Auth-Uid must never reach the
// upstream, whatever happens next.
func (h *identityHeaders) strip(hdr http.Header) {
	for name := range hdr {
		if h.stripped(name) {
			delete(hdr, name)
		}
	}
}

// stripped reports whether strip removes a header of this name.
func (h *identityHeaders) stripped(name string) bool {
	for _, n := range h.stripNames {
		if len(name) == len(n) && hasFoldedPrefix(name, n) {
			return true
		}
	}
	for _, p := range h.stripPrefixes {
		if hasFoldedPrefix(name, p) {
			return true
		}
	}
	return false
}

// profileEntry is what the protected path needs of an account: whether it
// may use its tokens, and its identity with the header values precomputed
// so the hot path only assigns slices. Nothing else of the account is kept:
// the cache holds many entries, and hashes have no business in it.
type profileEntry struct {
	gen      uint64 // the cache generation it was cached in
	active   bool
	identity Identity // Session is empty: it belongs to the token
	values   [numIdentityHeaders][]string
	// pipeRoles are the roles separated by |, for the authentik preset.
	pipeRoles []string
	// user is the preset's user value (srcUser), one of values'
	// slices; nil for none, or when no preset needs it.
	user []string
	// dropped has bit i set when identity header i was left out because
	// the stored value is not one line of printable text.
	dropped uint8
}

func newProfileEntry(a store.Account) *profileEntry {
	e := &profileEntry{active: a.Active}
	e.identity = Identity{
		UID:      a.UID,
		Tenant:   a.Tenant,
		Email:    a.PrimaryEmail(),
		Username: a.Username,
		Name:     lrprofile.DisplayName(&a),
		Roles:    strings.Join(a.Roles, ","),
	}
	for i, v := range [...]*string{&e.identity.UID, &e.identity.Tenant, &e.identity.Email, &e.identity.Username, &e.identity.Name, &e.identity.Roles} {
		// A value stored before such values were refused (or written
		// around the gateway) is left out, from the headers and the
		// placeholders alike: a header cannot carry a control character
		// (reverse_proxy would answer every request of the account with
		// 502), an encoded form could pass for another value, and an
		// email that is not a bare addr-spec (`<bob@example.com>`) reads
		// as another account's address to an app's mail parser.
		if lrprofile.HasControl(*v) || i == hdrEmail && *v != "" && !lrprofile.ValidEmail(*v) {
			*v = ""
			e.dropped |= 1 << i
		}
		if *v != "" {
			e.values[i] = []string{*v}
		}
	}
	return e
}

// droppedNames are the identity headers left out of e, by suffix (Name,
// Roles …), for the log.
func (e *profileEntry) droppedNames() []string {
	var names []string
	for i, n := range identitySuffixes {
		if e.dropped&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	return names
}

// cost is the entry's memory for ristretto: the struct, its strings, a
// one-element slice per header value, and the cache's own bookkeeping
// (TestCacheCostsCoverMemory checks the sum covers what an entry holds).
func (e *profileEntry) cost() int64 {
	n := int64(unsafe.Sizeof(*e)) + cacheItemOverhead
	for _, v := range e.values {
		if v != nil {
			n += stringCost(v[0]) + int64(unsafe.Sizeof(""))
		}
	}
	if e.pipeRoles != nil {
		n += stringCost(e.pipeRoles[0]) + int64(unsafe.Sizeof(""))
	}
	return n
}

// set writes the identity headers of id onto hdr. Values are shared,
// immutable slices (cap == len, so appends elsewhere copy).
func (h *identityHeaders) set(hdr http.Header, p *profileEntry, sessionValue []string) {
	for i := 0; i < hdrSession; i++ {
		if p.values[i] != nil {
			hdr[h.names[i]] = p.values[i]
		}
	}
	hdr[h.names[hdrSession]] = sessionValue
	for _, ph := range h.preset {
		if v := p.presetValue(ph.src); v != nil {
			hdr[ph.name] = v
		}
	}
}
