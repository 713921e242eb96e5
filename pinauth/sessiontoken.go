package pinauth

import (
	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// invalidateSessionToken serves GET /auth/session_token/invalidate: the PIN
// session_token stops working (a PIN login with it answers 1245). The login
// session it belongs to and its access and refresh tokens are not touched;
// log out with the access-token invalidate call. An unknown or already
// invalidated token is 1245, an expired one 1246.
func (g *Gateway) invalidateSessionToken(c *call) (any, error) {
	raw := c.q.Get("session_token")
	if raw == "" {
		return nil, lrerr.WithDescription(lrerr.CodeParameterFormat, "The session_token is a required parameter.")
	}
	hash := secret.TokenHash(raw)
	if _, e := g.oneTimeToken(c, store.TokenPINSession, hash, lrerr.CodeSessionTokenInvalid, lrerr.CodeSessionTokenExpired); e != nil {
		return nil, e
	}
	err := g.store.Update(c.r.Context(), func(tx store.Tx) error {
		// Marking it used (rather than deleting it) keeps the lockout's
		// answer for tokens invalidated by a lock: a PIN login with an
		// invalidated token is 1245 unless the account is locked.
		if _, ok, err := tx.ConsumeToken(store.TokenPINSession, hash, c.now); err != nil {
			return err
		} else if !ok {
			return lrerr.New(lrerr.CodeSessionTokenInvalid)
		}
		return nil
	})
	if err != nil {
		return nil, lrerr.As(err)
	}
	return isPosted, nil
}
