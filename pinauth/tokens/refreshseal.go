package tokens

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"strings"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
)

// A login's refresh token is stored as its SHA-256 hash, and also sealed
// (AES-256-GCM under a key derived from the current pepper, bound to that
// hash), so that GET /auth/access_token/validate can answer the session's
// current refresh token, as LoginRadius documents. A stolen database alone
// opens none of them (the pepper is not in it), like the signing keys; and
// a refresh token is worth nothing without the tenant's API secret, which
// the refresh call needs.

// SealedRefreshKey is the store.Token.Data key of a refresh token's sealed
// form.
const SealedRefreshKey = "sealed"

// refreshSealKey derives the AES-256 key that seals refresh tokens.
func refreshSealKey(p secret.Pepper) []byte { return secret.MAC(p.Key, "refresh token seal", "")[:32] }

// SealRefresh seals token, stored under hash, with pepper p (the current
// one): "<pepper id>.<base64 nonce+ciphertext>".
func SealRefresh(p secret.Pepper, token, hash string) string {
	block, _ := aes.NewCipher(refreshSealKey(p))
	gcm, _ := cipher.NewGCM(block)
	nonce := secret.Bytes(gcm.NonceSize())
	return p.ID + "." + base64.RawURLEncoding.EncodeToString(gcm.Seal(nonce, nonce, []byte(token), []byte(hash)))
}

// OpenRefresh opens a sealed refresh token stored under hash with the
// pepper of peppers that sealed it; ok is false when that pepper is not
// among them or the value was tampered with.
func OpenRefresh(peppers []secret.Pepper, sealed, hash string) (token string, ok bool) {
	id, b64, found := strings.Cut(sealed, ".")
	raw, err := base64.RawURLEncoding.DecodeString(b64)
	if !found || err != nil {
		return "", false
	}
	for _, p := range peppers {
		if p.ID != id {
			continue
		}
		block, _ := aes.NewCipher(refreshSealKey(p))
		gcm, _ := cipher.NewGCM(block)
		if len(raw) < gcm.NonceSize() {
			return "", false
		}
		plain, err := gcm.Open(nil, raw[:gcm.NonceSize()], raw[gcm.NonceSize():], []byte(hash))
		if err != nil || secret.TokenHash(string(plain)) != hash {
			return "", false
		}
		return string(plain), true
	}
	return "", false
}
