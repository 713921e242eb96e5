package tests

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"maps"
	"strings"
	"testing"
)

func TestForgedAccessTokensAre401With905AndNeverReachTheUpstream(t *testing.T) {
	t.Parallel()
	g := startGateway(t)
	login, uid := g.loggedIn()
	real := login.str("access_token")
	header, claims, _, _ := decodeJWT(t, real)
	kid, _ := header["kid"].(string)

	_, foreign, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	publicKey := g.ed25519Keys()[kid]
	with := func(m map[string]any, k string, v any) map[string]any {
		c := maps.Clone(m)
		c[k] = v
		return c
	}
	forged := []struct {
		name, token string
	}{
		{"alg none", signJWT(t, with(header, "alg", "none"), claims, nil)},
		{"alg NONE", signJWT(t, with(header, "alg", "NONE"), claims, nil)},
		{"signed by another Ed25519 key with the real kid", signJWT(t, header, claims,
			func(b []byte) []byte { return ed25519.Sign(foreign, b) })},
		{"HS256 keyed with the published public key", signJWT(t, with(header, "alg", "HS256"), claims,
			func(b []byte) []byte {
				m := hmac.New(sha256.New, publicKey)
				m.Write(b)
				return m.Sum(nil)
			})},
		{"the real signature over a changed subject", func() string {
			parts := strings.Split(real, ".")
			other := strings.Split(signJWT(t, header, with(claims, "sub", "another-uid"), nil), ".")
			return parts[0] + "." + other[1] + "." + parts[2]
		}()},
	}
	for _, f := range forged {
		t.Run(f.name, func(t *testing.T) {
			g := g.in(t)
			r := g.protected("/app", f.token)
			r.wantError(t, 401, 905)
			if a := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(a, "Bearer") {
				t.Errorf("WWW-Authenticate = %q, want Bearer…", a)
			}
		})
	}
	if n := len(g.up.requests()); n != 0 {
		t.Fatalf("the upstream was called %d times with forged tokens", n)
	}

	// The control: the genuine token passes, so the rejections above are
	// about the forgeries.
	if r := g.protected("/app", real); r.status != 200 || g.up.last(t).Header.Get("X-Auth-Uid") != uid {
		t.Fatalf("the real token: %d %s", r.status, r.raw)
	}
}
