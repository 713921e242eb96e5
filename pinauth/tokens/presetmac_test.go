package tokens

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
)

// Tokens issued before the MACs were keyed once and written piece by
// piece must keep verifying: both MACs are checked against their defining
// formulas, computed the plain way.
func TestPresetMACsAreTheMACsTheyReplace(t *testing.T) {
	t.Parallel()
	n := newNode(t, sharedStore(t))
	k := n.m.keys.Load().current
	for _, ps := range []string{"", "eyJzdWIiOiJ1aWQtMSJ9", strings.Repeat("x", 1000)} {
		if got, want := k.macOf(ps), macWith(k.mac, k.id, ps); got != want {
			t.Errorf("gateway MAC of %q = %s, want HMAC(key, kid.payload) = %s", ps, got, want)
		}
	}
	tags := NewProfileTags([]string{"pepper"})
	key := secret.MAC([]byte("pepper"), "access token profile tag", "")
	for _, p := range []*Profile{
		{Email: "a@example.com", Username: "alice", Name: "Alice A", Roles: []string{"admin", "user"}},
		{Email: "b@example.com"},
		{Roles: []string{"x"}},
	} {
		tags.Tag("demo", "u1", "s1", 1700000000, p)
		msg := strings.Join([]string{"demo", "u1", "s1", strconv.FormatInt(1700000000, 10), p.Email, p.Username, p.Name,
			strings.Join(p.Roles, "\x01")}, "\x00")
		if want := base64.RawURLEncoding.EncodeToString(secret.MAC(key, "profile", msg)[:profileTagSize]); p.Tag != want {
			t.Errorf("profile tag of %+v = %s, want %s", p, p.Tag, want)
		}
	}
}

// compactJWT's table allows exactly base64url and the dot, byte by byte.
func TestCompactJWTAllowsBase64URLAndDotsOnly(t *testing.T) {
	t.Parallel()
	for c := range 256 {
		want := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.'
		if got := compactJWT("ab." + string([]byte{byte(c)}) + ".cd"); got != want {
			t.Errorf("byte %#x: compactJWT = %v, want %v", c, got, want)
		}
	}
}
