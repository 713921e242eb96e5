package tokens

import (
	"crypto/hmac"
	"encoding/base64"
	"strconv"

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
	// keys are derived from the peppers, current first, each primed with
	// the label secret.MAC would write.
	keys []*presetMAC
}

// NewProfileTags derives the tag keys of peppers (current first, as
// configured).
func NewProfileTags(peppers []string) *ProfileTags {
	t := &ProfileTags{}
	for _, p := range peppers {
		t.keys = append(t.keys, newPresetMAC(secret.MAC([]byte(p), "access token profile tag", ""), "profile\x00"))
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

// mac is secret.MAC(key, "profile", msg) truncated, msg being tenant,
// uid, sid, exp, email, user name, name and the roles (joined by 0x01)
// joined by 0x00; msg is built in one buffer, the HMAC keyed once.
func (t *ProfileTags) mac(key *presetMAC, tenant, uid, sid string, exp int64, p *Profile) []byte {
	msg := make([]byte, 0, 256)
	for _, s := range [...]string{tenant, uid, sid} {
		msg = append(append(msg, s...), 0)
	}
	msg = append(strconv.AppendInt(msg, exp, 10), 0)
	for _, s := range [...]string{p.Email, p.Username, p.Name} {
		msg = append(append(msg, s...), 0)
	}
	for i, r := range p.Roles {
		if i > 0 {
			msg = append(msg, 1)
		}
		msg = append(msg, r...)
	}
	h := key.start()
	h.Write(msg)
	return h.Sum(nil)[:profileTagSize]
}
