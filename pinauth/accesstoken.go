package pinauth

import (
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/tokens"
)

// accessTokenBody is LoginRadius's AccessTokenBase shape, as answered by
// the validate call.
type accessTokenBody struct {
	AccessToken  string  `json:"access_token"`
	RefreshToken *string `json:"refresh_token"`
	ExpiresIn    any     `json:"expires_in"`
}

// validateAccessToken serves GET /auth/access_token/validate: 200 with the
// token, its login session's current refresh token and the token's expiry
// while it is valid, 905/906 otherwise. refresh_token is null when the
// session has no live refresh token (revoked, or a logout with
// preventRefresh) or it cannot be opened (sealed under a pepper no longer
// configured).
func (g *Gateway) validateAccessToken(c *call) (any, error) {
	b, err := g.bearerOf(c)
	if err != nil {
		return nil, err
	}
	body := accessTokenBody{AccessToken: b.raw, ExpiresIn: lrprofile.Time(b.token.Exp)}
	tok, found, err := g.store.LiveSessionToken(c.r.Context(), b.sid(), store.TokenRefresh, c.now)
	if err != nil {
		return nil, lrerr.Unavailable(err)
	}
	if found && tok.Tenant == b.token.Tenant && tok.UID == b.token.UID {
		if rt, ok := tokens.OpenRefresh(g.peppers, tok.Data[tokens.SealedRefreshKey], tok.Hash); ok {
			body.RefreshToken = &rt
		}
	}
	return body, nil
}

// accessTokenInfo is LoginRadius's TokenInfoResponseModel, plus the expiry.
type accessTokenInfo struct {
	AccessToken  string `json:"access_token"`
	ExpiresIn    any    `json:"expires_in"`
	IsRememberMe bool   `json:"isrememberme"`
	Provider     string `json:"provider"`
}

// tokenInfo serves GET /auth/access_token: what LoginRadius tells about an
// access token. Every token of the gateway comes from a first-party login,
// which LoginRadius reports as provider "Email".
func (g *Gateway) tokenInfo(c *call) (any, error) {
	b, err := g.bearerOf(c)
	if err != nil {
		return nil, err
	}
	return accessTokenInfo{AccessToken: b.raw, ExpiresIn: lrprofile.Time(b.token.Exp), Provider: "Email"}, nil
}

// invalidateAccessToken serves GET /auth/access_token/invalidate: logout.
// Every access token of the caller's login session stops working at once,
// on the protected path too. As with LoginRadius, the refresh token keeps
// working unless preventRefresh=true, and the device's PIN session_token
// survives (it has its own invalidate call): the tokens that survive move
// to a new session, and the old one is revoked.
func (g *Gateway) invalidateAccessToken(c *call) (any, error) {
	b, err := g.bearerOf(c)
	if err != nil {
		return nil, err
	}
	ctx := c.r.Context()
	sid := b.sid()
	ses, found, err := g.store.Session(ctx, sid)
	if err != nil {
		return nil, lrerr.Unavailable(err)
	}
	if !found {
		return nil, lrerr.New(lrerr.CodeAccessTokenInvalid)
	}
	keep := []store.TokenKind{store.TokenPINSession}
	if !c.q.Bool("preventrefresh") {
		keep = append(keep, store.TokenRefresh)
	}
	err = g.store.Update(ctx, func(tx store.Tx) error {
		next := store.Session{ID: secret.NewToken(), Tenant: ses.Tenant, UID: ses.UID,
			CreatedAt: ses.CreatedAt, ExpiresAt: ses.ExpiresAt}
		moved, err := tx.MoveSessionTokens(sid, next.ID, keep)
		if err != nil {
			return err
		}
		if moved > 0 {
			if err := tx.CreateSession(next); err != nil {
				return err
			}
		}
		_, err = tx.RevokeSession(sid, c.now)
		return err
	})
	if err != nil {
		return nil, lrerr.As(err)
	}
	g.cache.RevokeSessions([]string{sid}, c.now, g.cfg.AccessTTL)
	return isPosted, nil
}
