package pinauth

import (
	"context"
	"crypto/sha256"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// The access-token formats a tenant may hand out (Tenant.TokenFormat).
const (
	// TokenFormatJWT hands clients the signed JWT itself.
	TokenFormatJWT = "jwt"
	// TokenFormatUUID hands clients a UUID-shaped opaque handle: the shape
	// LoginRadius's typed SDKs parse access_token into (java.util.UUID,
	// System.Guid). The gateway keeps only the handle's hash, with the
	// session it belongs to, and forwards a JWT minted for it upstream
	// (a "phantom token"), so apps behind the proxy still verify the
	// JWKS.
	TokenFormatUUID = "uuid"
)

// isAccessHandle reports whether raw has the one spelling of an access-token
// handle: a lowercase version-4 UUID, as secret.NewToken makes it. A JWT
// never has it (it has dots), nor has the all-zero placeholder token of a
// second-factor answer, so neither costs a store lookup here.
func isAccessHandle(raw string) bool {
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

// handleClaims looks an access-token handle up in the store and returns the
// claims of the JWT it stands for: the session, account and lifetime it was
// issued with. An unknown handle (never issued, or deleted with its revoked
// session) is 905, an expired one 906. The caller checks the session, as it
// does for a JWT.
func (g *Gateway) handleClaims(ctx context.Context, raw string, now time.Time) (*accessClaims, *lrerr.Error) {
	tok, found, err := g.store.Token(ctx, store.TokenAccess, secret.TokenHash(raw))
	if err != nil {
		return nil, lrerr.Unavailable(err)
	}
	if !found || !tok.UsedAt.IsZero() || tok.Tenant == "" || tok.UID == "" || tok.SessionID == "" {
		return nil, lrerr.New(lrerr.CodeAccessTokenInvalid)
	}
	if _, err := g.tenantByName(tok.Tenant); err != nil {
		// A tenant removed from the configuration takes its handles along,
		// as the JWT parser refuses its audience.
		return nil, lrerr.New(lrerr.CodeAccessTokenInvalid)
	}
	claims := g.newAccessClaims(tok.Tenant, tok.UID, tok.SessionID, handleJTI(raw), tok.CreatedAt, tok.ExpiresAt)
	// The JWT's exp, whole seconds, is when the handle expires: a node
	// with the handle cached and one looking it up agree.
	if !now.Before(claims.ExpiresAt.Time) {
		return nil, lrerr.New(lrerr.CodeAccessTokenExpired)
	}
	return claims, nil
}

// handleJTI is the jti of the JWTs minted for a handle: the same on every
// node and at every mint, so an upstream that logs or deduplicates by jti
// sees one token, and derived one way from the handle, so the JWT does not
// reveal it.
func handleJTI(raw string) string {
	sum := sha256.Sum256([]byte("pinauth access handle jti\x00" + raw))
	return secret.FormatUUID4(sum[:16])
}
