package pinauth

import (
	"context"
	"fmt"
	"net/textproto"
	"strings"

	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
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
	// first that names this account alone (store.Reader.NameOwner): a
	// name it shares with another account from before names were unique
	// across kinds is skipped, so the header names one account.
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
		if ph.src == srcUser {
			h.presetUser = true
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
	return e.user
}

// presetUser finds the srcUser value of e: the first of the username,
// the email and the Uid whose name store.Reader.NameOwner gives to this
// account, shared with the entry's header values. Names are unique
// across kinds, so it is the first one present; one shared from before
// (a NameConflict) is skipped and logged. A store fault fails the
// request closed.
func (g *Gateway) presetUser(ctx context.Context, e *profileEntry) ([]string, error) {
	for _, i := range [...]int{hdrUsername, hdrEmail, hdrUID} {
		v := e.values[i]
		if v == nil {
			continue
		}
		owner, _, err := g.store.NameOwner(ctx, e.identity.Tenant, store.NameOf(v[0]))
		if err != nil {
			return nil, err
		}
		if owner == e.identity.UID {
			return v, nil
		}
		g.log.Warn("preset user name skipped", zap.String("tenant", e.identity.Tenant), zap.String("uid", e.identity.UID),
			zap.String("field", identitySuffixes[i]), zap.String("reason", "another account has the same name"))
	}
	return nil, nil
}
