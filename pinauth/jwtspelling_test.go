package pinauth

import (
	"net/url"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
)

func TestAnAccessTokenIsAcceptedInItsOneSpellingOnly(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	genuine := env.loggedIn(testEmail).str("access_token")
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	// An Ed25519 signature is 64 bytes: its 86th base64 character holds 2
	// bits of it and 4 unused bits. Flip an unused one.
	last := strings.IndexByte(alphabet, genuine[len(genuine)-1])
	sameBits := genuine[:len(genuine)-1] + string(alphabet[last^1])
	cut := strings.LastIndexByte(genuine, '.') + 10
	for name, tok := range map[string]string{
		"unused bits set":                      sameBits,
		"a line break inside the signature":    genuine[:cut] + "\n" + genuine[cut:],
		"a carriage return inside the payload": genuine[:20] + "\r" + genuine[20:],
	} {
		// In the query: Go's client would refuse a line break in a
		// header.
		r := env.do("GET", "/app/data?access_token="+url.QueryEscape(tok), nil)
		wantCode(t, name, r, 401, int(lrerr.CodeAccessTokenInvalid))
	}
	if r := env.protected(genuine); r.status != 200 {
		t.Fatalf("the genuine token: %d %s", r.status, r.raw)
	}
}
