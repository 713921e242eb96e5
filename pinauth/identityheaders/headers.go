// Package identityheaders builds the identity headers the gateway sets on
// a request it lets through (its own X-Auth-* and, with a preset, those
// another gateway sets), and removes every client-sent copy of them in
// any spelling, from the headers, the trailers and the Connection list.
// Which account a request belongs to is the core's decision; this package
// only writes it down and keeps forgeries out.
package identityheaders

import (
	"fmt"
	"net/http"
	"net/textproto"
	"strings"
)

// DefaultPrefix prefixes the identity headers unless configured
// otherwise. Client-sent headers with it are removed whatever the
// configured prefix: apps are written for these names.
const DefaultPrefix = "X-Auth-"

// Field is one identity header.
type Field uint8

// The identity headers, in the order Headers holds them.
const (
	UID Field = iota
	Tenant
	Email
	Username
	Name
	Roles
	Session
	// NumFields is the number of identity headers.
	NumFields
)

// suffixes name the identity headers after the prefix.
var suffixes = [NumFields]string{"Uid", "Tenant", "Email", "Username", "Name", "Roles", "Session"}

// String is the header's name after the prefix (Uid, Email …).
func (f Field) String() string { return suffixes[f] }

// Headers knows the header names the gateway sets and which client-sent
// headers it removes. Create one with New; it is read-only afterwards and
// safe for concurrent use.
type Headers struct {
	names [NumFields]string
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

// New returns the identity headers named with prefix (X-Auth- gives
// X-Auth-Uid …), and those of preset ("" for none, else a Preset*
// name; ValidatePreset).
func New(prefix, preset string) (*Headers, error) {
	if err := ValidatePreset(preset); err != nil {
		return nil, err
	}
	h := &Headers{}
	for i, suffix := range suffixes {
		h.names[i] = textproto.CanonicalMIMEHeaderKey(prefix + suffix)
	}
	h.stripPrefixes = append([]string{normalizeHeaderName(prefix)}, presetStripPrefixes...)
	if !hasFoldedPrefix(DefaultPrefix, h.stripPrefixes[0]) {
		// Apps are written for the default names, and an app moved
		// behind a gateway with a custom prefix may still read them:
		// client-sent X-Auth-* go too.
		h.stripPrefixes = append(h.stripPrefixes, normalizeHeaderName(DefaultPrefix))
	}
	h.stripNames = presetStripNames
	h.withPreset(preset)
	return h, nil
}

// ValidatePrefix reports why prefix cannot begin a header name (nil when
// it can): it must consist of HTTP token characters only.
func ValidatePrefix(prefix string) error {
	for _, c := range []byte(prefix) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return fmt.Errorf("%q is not a valid header name prefix", prefix)
		}
	}
	return nil
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

// Strip removes every client-sent identity header, in any spelling. It
// runs first on every proxied request: a forged X-Auth-Uid must never
// reach the upstream, whatever happens next.
func (h *Headers) Strip(hdr http.Header) {
	for name := range hdr {
		if h.stripped(name) {
			delete(hdr, name)
		}
	}
}

// stripped reports whether Strip removes a header of this name.
func (h *Headers) stripped(name string) bool {
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

// Set writes the identity headers of an account (v) and its session
// onto hdr. Values are shared, immutable slices (cap == len, so appends
// elsewhere copy): nothing is allocated.
func (h *Headers) Set(hdr http.Header, v *Values, sessionValue []string) {
	for i := range Session {
		if v.fields[i] != nil {
			hdr[h.names[i]] = v.fields[i]
		}
	}
	hdr[h.names[Session]] = sessionValue
	for _, ph := range h.preset {
		if val := v.presetValue(ph.src); val != nil {
			hdr[ph.name] = val
		}
	}
}
