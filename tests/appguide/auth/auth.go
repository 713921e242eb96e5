// This file is the Go example of docs/app-guide.md, byte for byte from
// the package clause on: TestAppGuideGoExampleVerifiesARealToken keeps
// them equal and runs it against a running gateway.

// Package auth is the app guide's Go example: an app behind the gateway
// verifying the forwarded access token against the gateway's JWKS.
package auth

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/golang-jwt/jwt/v5"
)

// Keys fetches the gateway's JWKS (cache it; refetch on an unknown kid).
func Keys(jwksURL string) (map[string]ed25519.PublicKey, error) {
	resp, err := http.Get(jwksURL)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct{ Kid, Kty, Crv, X string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		return nil, err
	}
	keys := map[string]ed25519.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty == "OKP" && k.Crv == "Ed25519" {
			if x, err := base64.RawURLEncoding.DecodeString(k.X); err == nil {
				keys[k.Kid] = ed25519.PublicKey(x)
			}
		}
	}
	return keys, nil
}

// Verify checks an access token and returns the Uid and tenant.
func Verify(token string, keys map[string]ed25519.PublicKey, issuer, tenant string) (uid string, err error) {
	claims := jwt.RegisteredClaims{}
	_, err = jwt.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if k, ok := keys[kid]; ok {
			return k, nil
		}
		return nil, errors.New("unknown kid: refetch the JWKS")
	}, jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithIssuer(issuer), jwt.WithAudience(tenant),
		jwt.WithExpirationRequired())
	return claims.Subject, err
}
