package pinauth

import (
	"context"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/tokens"
)

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
