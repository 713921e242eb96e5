package pinauth

import (
	"fmt"
	"net/textproto"
	"strings"
)

// The header presets: the identity headers other gateways set, so that
// apps written for them move behind this one unchanged.
const (
	// PresetAuthelia sets Remote-User, Remote-Email, Remote-Name and
	// Remote-Groups (comma-separated), as Authelia does.
	PresetAuthelia = "authelia"
	// PresetOAuth2Proxy sets X-Forwarded-User (the Uid),
	// X-Forwarded-Email, X-Forwarded-Preferred-Username and
	// X-Forwarded-Groups (comma-separated), as oauth2-proxy does.
	PresetOAuth2Proxy = "oauth2-proxy"
	// PresetAuthentik sets X-authentik-username, -email, -name, -uid and
	// -groups (separated by |), as authentik's proxy outpost does.
	PresetAuthentik = "authentik"
)

// presetSource names the identity value a preset header carries.
type presetSource uint8

const (
	srcUID presetSource = iota
	srcEmail
	srcName
	// srcUser is the username, else the email, else the Uid: these
	// gateways always have a user name, and apps key on it.
	srcUser
	srcRoles
	// srcPipeRoles are the roles separated by | (authentik).
	srcPipeRoles
)

type presetHeader struct {
	name string
	src  presetSource
}

// presets maps each preset to the headers it sets.
var presets = map[string][]presetHeader{
	PresetAuthelia: {
		{"Remote-User", srcUser}, {"Remote-Email", srcEmail}, {"Remote-Name", srcName}, {"Remote-Groups", srcRoles},
	},
	PresetOAuth2Proxy: {
		{"X-Forwarded-User", srcUID}, {"X-Forwarded-Email", srcEmail},
		{"X-Forwarded-Preferred-Username", srcUser}, {"X-Forwarded-Groups", srcRoles},
	},
	PresetAuthentik: {
		{"X-Authentik-Username", srcUser}, {"X-Authentik-Email", srcEmail}, {"X-Authentik-Name", srcName},
		{"X-Authentik-Uid", srcUID}, {"X-Authentik-Groups", srcPipeRoles},
	},
}

// presetStripNames are removed from every proxied request whatever the
// preset (none included), in any spelling: an app written for one of these
// gateways trusts them. X-Forwarded-Access-Token is oauth2-proxy's token
// header (this gateway forwards Authorization instead); X-Auth-Username and
// X-Auth-Groups are authentik's older names.
var presetStripNames = []string{
	"remote-user", "remote-email", "remote-name", "remote-groups",
	"x-forwarded-user", "x-forwarded-email", "x-forwarded-preferred-username", "x-forwarded-groups",
	"x-forwarded-access-token",
	"x-auth-username", "x-auth-groups",
}

// presetStripPrefixes are removed likewise: every X-authentik-* header
// (authentik also sends -entitlements and -meta-*).
var presetStripPrefixes = []string{"x-authentik-"}

// validHeaderPreset reports whether name is "" or a known preset.
func validHeaderPreset(name string) error {
	if _, ok := presets[name]; name != "" && !ok {
		return fmt.Errorf("pinauth: unknown header_preset %q (want authelia, oauth2-proxy or authentik)", name)
	}
	return nil
}

// withPreset adds the preset's headers to h (canonical names).
func (h *identityHeaders) withPreset(name string) {
	for _, ph := range presets[name] {
		h.preset = append(h.preset, presetHeader{textproto.CanonicalMIMEHeaderKey(ph.name), ph.src})
		if ph.src == srcPipeRoles {
			h.pipeRoles = true
		}
	}
}

// prepare precomputes what the preset needs of a new cache entry that the
// entry does not hold already.
func (h *identityHeaders) prepare(e *profileEntry) {
	if h.pipeRoles && e.values[hdrRoles] != nil {
		e.pipeRoles = []string{strings.ReplaceAll(e.identity.Roles, ",", "|")}
	}
}

// presetValue is the header value of src in e (nil for none). It shares
// the entry's immutable slices: nothing is allocated per request.
func (e *profileEntry) presetValue(src presetSource) []string {
	switch src {
	case srcUID:
		return e.values[hdrUID]
	case srcEmail:
		return e.values[hdrEmail]
	case srcName:
		return e.values[hdrName]
	case srcRoles:
		return e.values[hdrRoles]
	case srcPipeRoles:
		return e.pipeRoles
	}
	for _, i := range [...]int{hdrUsername, hdrEmail, hdrUID} {
		if e.values[i] != nil {
			return e.values[i]
		}
	}
	return nil
}
