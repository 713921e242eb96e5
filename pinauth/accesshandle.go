package pinauth

import (
	"context"
	"fmt"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/tokens"
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

// CheckTokenFormat reports an error unless format is TokenFormatJWT or
// TokenFormatUUID (an empty Tenant.TokenFormat means TokenFormatJWT and
// needs no check); the core's and the Caddy adapter's validators both call
// it.
func CheckTokenFormat(format string) error {
	switch format {
	case TokenFormatJWT, TokenFormatUUID:
		return nil
	}
	return fmt.Errorf("unknown value %q (want jwt or uuid)", format)
}

// handleClaims looks an access-token handle up in the store and returns the
// claims of the JWT it stands for: the session, account and lifetime it was
// issued with. An unknown handle (never issued, or deleted with its revoked
// session) is 905, an expired one 906. The caller checks the session, as it
// does for a JWT.
func (g *Gateway) handleClaims(ctx context.Context, raw string, now time.Time) (*tokens.Claims, *lrerr.Error) {
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
	claims := g.tokens.NewClaims(tok.Tenant, tok.UID, tok.SessionID, tokens.HandleJTI(raw), tok.CreatedAt, tok.ExpiresAt)
	// The JWT's exp, whole seconds, is when the handle expires: a node
	// with the handle cached and one looking it up agree.
	if !now.Before(claims.ExpiresAt.Time) {
		return nil, lrerr.New(lrerr.CodeAccessTokenExpired)
	}
	return claims, nil
}
