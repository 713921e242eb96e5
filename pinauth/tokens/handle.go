package tokens

import (
	"crypto/sha256"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
)

// IsHandle reports whether raw has the one spelling of an access-token
// handle: a lowercase version-4 UUID, as secret.NewToken makes it. A JWT
// never has it (it has dots), nor has the all-zero placeholder token of a
// second-factor answer, so neither costs a store lookup.
func IsHandle(raw string) bool {
	if len(raw) != 36 {
		return false
	}
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		case 14:
			if c != '4' {
				return false
			}
		case 19:
			if c != '8' && c != '9' && c != 'a' && c != 'b' {
				return false
			}
		default:
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
				return false
			}
		}
	}
	return true
}

// HandleJTI is the jti of the JWTs minted for a handle: the same on every
// node and at every mint, so an upstream that logs or deduplicates by jti
// sees one token, and derived one way from the handle, so the JWT does not
// reveal it.
func HandleJTI(raw string) string {
	sum := sha256.Sum256([]byte("pinauth access handle jti\x00" + raw))
	return secret.FormatUUID4(sum[:16])
}
