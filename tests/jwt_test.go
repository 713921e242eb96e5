package tests

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// The JWT code here is deliberately independent of the gateway's (and of
// golang-jwt): an app behind the proxy that checks tokens against the JWKS
// with nothing but the standard library must be able to.

var b64 = base64.RawURLEncoding

// ed25519Keys fetches /.well-known/jwks.json and returns its Ed25519 keys
// by kid.
func (g *gateway) ed25519Keys() map[string]ed25519.PublicKey {
	g.t.Helper()
	r := g.do("GET", "/.well-known/jwks.json", nil)
	if r.status != 200 {
		g.t.Fatalf("JWKS: %d %s", r.status, r.raw)
	}
	var set struct {
		Keys []struct {
			Kty, Crv, X, Kid, Alg, Use string
			D                          string `json:"d"`
		} `json:"keys"`
	}
	if err := json.Unmarshal([]byte(r.raw), &set); err != nil {
		g.t.Fatalf("JWKS is not JSON: %v", err)
	}
	keys := map[string]ed25519.PublicKey{}
	for _, k := range set.Keys {
		if k.D != "" {
			g.t.Fatalf("the JWKS publishes a private key (kid %s)", k.Kid)
		}
		if k.Kty != "OKP" || k.Crv != "Ed25519" {
			continue
		}
		x, err := b64.DecodeString(k.X)
		if err != nil || len(x) != ed25519.PublicKeySize {
			g.t.Fatalf("JWK %s: x is not a base64url Ed25519 public key", k.Kid)
		}
		keys[k.Kid] = ed25519.PublicKey(x)
	}
	if len(keys) == 0 {
		g.t.Fatalf("the JWKS has no Ed25519 key: %s", r.raw)
	}
	return keys
}

// decodeJWT splits a compact JWT and decodes its header and claims without
// verifying anything.
func decodeJWT(t *testing.T, token string) (header, claims map[string]any, signed string, sig []byte) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a three-part JWT: %q", token)
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		b, err := b64.DecodeString(parts[i])
		if err != nil {
			t.Fatalf("JWT part %d is not base64url: %v", i, err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatalf("JWT part %d is not JSON: %v", i, err)
		}
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil {
		t.Fatalf("JWT signature is not base64url: %v", err)
	}
	return header, claims, parts[0] + "." + parts[1], sig
}

// verifyAccessToken checks an access token the way an app would with the
// JWKS alone: EdDSA, a published kid, a valid signature, and iss, aud, sub
// and exp as expected. It returns the claims.
func (g *gateway) verifyAccessToken(token, uid string) map[string]any {
	t := g.t
	t.Helper()
	header, claims, signed, sig := decodeJWT(t, token)
	if header["alg"] != "EdDSA" {
		t.Fatalf("access token alg = %v, want EdDSA", header["alg"])
	}
	kid, _ := header["kid"].(string)
	key, ok := g.ed25519Keys()[kid]
	if !ok {
		t.Fatalf("access token kid %q is not in the JWKS", kid)
	}
	if !ed25519.Verify(key, []byte(signed), sig) {
		t.Fatal("access token signature does not verify with the JWKS key")
	}
	if claims["iss"] != issuer {
		t.Errorf("iss = %v, want %s", claims["iss"], issuer)
	}
	if !audienceIs(claims["aud"], tenantName) {
		t.Errorf("aud = %v, want %s", claims["aud"], tenantName)
	}
	if claims["sub"] != uid {
		t.Errorf("sub = %v, want the account's Uid %s", claims["sub"], uid)
	}
	exp, _ := claims["exp"].(float64)
	now := float64(time.Now().Unix())
	// access_ttl defaults to 15m; allow clock granularity.
	if exp <= now || exp > now+15*60+5 {
		t.Errorf("exp = %v, want within the next 15 minutes of %v", exp, now)
	}
	return claims
}

// audienceIs reports whether a JWT aud claim (a string or an array) is
// exactly want.
func audienceIs(aud any, want string) bool {
	switch a := aud.(type) {
	case string:
		return a == want
	case []any:
		return len(a) == 1 && a[0] == want
	}
	return false
}

// signJWT encodes header and claims and signs them with sign (nil: no
// signature, as for alg "none").
func signJWT(t *testing.T, header, claims map[string]any, sign func([]byte) []byte) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	signed := b64.EncodeToString(h) + "." + b64.EncodeToString(c)
	var sig []byte
	if sign != nil {
		sig = sign([]byte(signed))
	}
	return signed + "." + b64.EncodeToString(sig)
}
