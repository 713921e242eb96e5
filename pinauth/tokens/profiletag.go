package tokens

import (
	"crypto/hmac"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
)

// A token's profile is served without reading the store only if it bears
// a tag that binds it to the token's account, session and expiry under a
// key derived from the pepper (issue 22). The signing key alone does not
// make one: a token that whoever holds it re-signs for another sub, aud or
// sid, or with another profile, has no valid tag, and goes through the
// store, where its session is checked against its account.

// ProfileTags tags and checks token profiles. Make one with NewProfileTags.
type ProfileTags struct {
	// keys are derived from the peppers, current first.
	keys [][]byte
}

// NewProfileTags derives the tag keys of peppers (current first, as
// configured).
func NewProfileTags(peppers []string) *ProfileTags {
	t := &ProfileTags{}
	for _, p := range peppers {
		t.keys = append(t.keys, secret.MAC([]byte(p), "access token profile tag", ""))
	}
	return t
}

// profileTagSize is the bytes of a tag kept (128 bits).
const profileTagSize = 16

// Tag sets p.Tag for a token of account uid of tenant in session sid that
// expires at exp (unix seconds), with the current pepper's key.
func (t *ProfileTags) Tag(tenant, uid, sid string, exp int64, p *Profile) {
	p.Tag = base64.RawURLEncoding.EncodeToString(t.mac(t.keys[0], tenant, uid, sid, exp, p))
}

// Valid reports whether p.Tag was made by Tag for these values with one of
// the peppers' keys.
func (t *ProfileTags) Valid(tenant, uid, sid string, exp int64, p *Profile) bool {
	got, err := base64.RawURLEncoding.DecodeString(p.Tag)
	if err != nil || len(got) != profileTagSize {
		return false
	}
	for _, k := range t.keys {
		if hmac.Equal(got, t.mac(k, tenant, uid, sid, exp, p)) {
			return true
		}
	}
	return false
}

func (t *ProfileTags) mac(key []byte, tenant, uid, sid string, exp int64, p *Profile) []byte {
	msg := strings.Join([]string{tenant, uid, sid, strconv.FormatInt(exp, 10), p.Email, p.Username, p.Name,
		strings.Join(p.Roles, "\x01")}, "\x00")
	return secret.MAC(key, "profile", msg)[:profileTagSize]
}
