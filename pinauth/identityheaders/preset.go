package identityheaders

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
	// gateways always have a user name, and apps key on it. Of these, the
	// first that names this account alone (Values.PickUser): a name it
	// shares with another account from before names were unique across
	// kinds is skipped, so the header names one account.
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

// ValidatePreset reports whether name is "" or a known preset: the one
// list of presets, for the configuration's checks.
func ValidatePreset(name string) error {
	if _, ok := presets[name]; name != "" && !ok {
		return fmt.Errorf("unknown preset %q (want authelia, oauth2-proxy or authentik)", name)
	}
	return nil
}

// withPreset adds the preset's headers to h (canonical names).
func (h *Headers) withPreset(name string) {
	for _, ph := range presets[name] {
		h.preset = append(h.preset, presetHeader{textproto.CanonicalMIMEHeaderKey(ph.name), ph.src})
		if ph.src == srcPipeRoles {
			h.pipeRoles = true
		}
		if ph.src == srcUser {
			h.presetUser = true
		}
	}
}

// NeedsUser reports whether the preset sets a user header, whose value
// Values.PickUser must find before the values are used.
func (h *Headers) NeedsUser() bool { return h.presetUser }

// Prepare precomputes what the preset needs of new values that they do
// not hold already.
func (h *Headers) Prepare(v *Values) {
	if h.pipeRoles && v.fields[Roles] != nil {
		v.pipeRoles = []string{strings.ReplaceAll(v.fields[Roles][0], ",", "|")}
	}
}

// presetValue is the header value of src in v (nil for none). It shares
// the immutable slices: nothing is allocated per request.
func (v *Values) presetValue(src presetSource) []string {
	switch src {
	case srcUID:
		return v.fields[UID]
	case srcEmail:
		return v.fields[Email]
	case srcName:
		return v.fields[Name]
	case srcRoles:
		return v.fields[Roles]
	case srcPipeRoles:
		return v.pipeRoles
	}
	return v.user
}
