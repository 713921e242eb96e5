package pinauth

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// refreshBody is the response of a refresh: LoginRadius's AccessTokenBase.
type refreshBody struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    any    `json:"expires_in"`
}

// errSessionMoved aborts a refresh whose token moved to another session
// (a logout) between reading it and spending it; the refresh starts over.
var errSessionMoved = errors.New("refresh token moved to another session")

// maxRefreshRetries bounds how often a refresh starts over.
const maxRefreshRetries = 3

// refreshAccessToken serves GET /manage/account/access_token/refresh: a
// new access token and a new refresh token for a refresh token (see
// rotateRefreshToken).
func (g *Gateway) refreshAccessToken(c *call) (any, error) {
	raw := c.q.Get("refresh_token")
	if raw == "" {
		return nil, lrerr.WithDescription(lrerr.CodeParameterFormat, "The refresh_token is a required parameter.")
	}
	gr, err := g.rotateRefreshToken(c.r.Context(), c.tenant.Name, raw)
	if err != nil {
		return nil, err
	}
	return refreshBody{AccessToken: gr.access, RefreshToken: gr.refresh, ExpiresIn: lrprofile.Time(gr.accessExp)}, nil
}

// rotateRefreshToken spends a refresh token of tenant and returns a grant
// with a new access token and a new refresh token in the same login
// session. The old token is spent (single use) in the transaction that
// stores its successor. It serves the API and the login page.
//
// Reuse detection: a spent refresh token presented again means it leaked
// (or a client replays it), so the whole login session is revoked — its
// refresh family and every access token of it, on the protected path at
// once — and the answer is 1217. Expired tokens, tokens of a revoked
// session and unknown tokens are 1217 too. Refreshing does not extend the
// login session: its end (refresh_ttl after the password login) bounds
// every refresh token of it.
func (g *Gateway) rotateRefreshToken(ctx context.Context, tenant, raw string) (*grant, error) {
	hash := secret.TokenHash(raw)
	for range maxRefreshRetries {
		gr, err := g.refreshOnce(ctx, tenant, hash, g.now())
		if !errors.Is(err, errSessionMoved) {
			return gr, err
		}
	}
	return nil, lrerr.New(lrerr.CodeRefreshTokenInvalid)
}

// refreshOnce is one attempt of rotateRefreshToken: errSessionMoved asks
// for another.
func (g *Gateway) refreshOnce(ctx context.Context, tenant, hash string, now time.Time) (*grant, error) {
	ses, a, err := g.refreshSubject(ctx, tenant, hash, now)
	if err != nil {
		return nil, err
	}
	gr, err := g.newGrant(&a, ses.ID, ses.ExpiresAt, false, now)
	if err != nil {
		return nil, err
	}
	gr.refreshExp = ses.ExpiresAt
	reused, err := g.spendRefreshToken(ctx, hash, ses.ID, gr, now)
	if err != nil {
		if errors.Is(err, errSessionMoved) {
			return nil, err
		}
		return nil, lrerr.As(err)
	}
	if reused != nil {
		g.cache.RevokeSessions([]string{reused.SessionID}, now, g.cfg.AccessTTL)
		g.logReuse(*reused)
		return nil, lrerr.New(lrerr.CodeRefreshTokenInvalid)
	}
	return gr, nil
}

// refreshSubject reads the refresh token of tenant with this hash, its
// login session and its account, and refuses a token, session or account
// that may not refresh; a spent token revokes its session (refreshReused).
func (g *Gateway) refreshSubject(ctx context.Context, tenant, hash string, now time.Time) (store.Session, store.Account, error) {
	var ses store.Session
	var a store.Account
	tok, found, err := g.store.Token(ctx, store.TokenRefresh, hash)
	switch {
	case err != nil:
		return ses, a, lrerr.Unavailable(err)
	case !found || tok.Tenant != tenant:
		return ses, a, lrerr.New(lrerr.CodeRefreshTokenInvalid)
	case !tok.UsedAt.IsZero():
		return ses, a, g.refreshReused(ctx, tok, now)
	case !now.Before(tok.ExpiresAt):
		return ses, a, lrerr.New(lrerr.CodeRefreshTokenInvalid)
	}
	ses, found, err = g.store.Session(ctx, tok.SessionID)
	if err != nil {
		return ses, a, lrerr.Unavailable(err)
	}
	if !found || !ses.RevokedAt.IsZero() || !now.Before(ses.ExpiresAt) {
		return ses, a, lrerr.New(lrerr.CodeRefreshTokenInvalid)
	}
	a, found, err = g.store.Account(ctx, tok.Tenant, tok.UID)
	if err != nil {
		return ses, a, lrerr.Unavailable(err)
	}
	if !found {
		return ses, a, lrerr.New(lrerr.CodeRefreshTokenInvalid)
	}
	if !a.Active {
		return ses, a, lrerr.New(lrerr.CodeAccountBlocked)
	}
	return ses, a, nil
}

// spendRefreshToken spends the refresh token with this hash and writes its
// successor gr in one transaction. A token spent by a concurrent refresh
// since it was read is reuse: its session is revoked and the token is
// returned as reused. errSessionMoved: the token now belongs to another
// session than sessionID.
func (g *Gateway) spendRefreshToken(ctx context.Context, hash, sessionID string, gr *grant, now time.Time) (reused *store.Token, err error) {
	err = g.store.Update(ctx, func(tx store.Tx) error {
		t, ok, err := tx.ConsumeToken(store.TokenRefresh, hash, now)
		if err != nil {
			return err
		}
		if !ok {
			// Spent by a concurrent refresh since it was read: that is
			// reuse too. Deleted (session revoked) or expired: invalid.
			spent, found, err := tx.Token(store.TokenRefresh, hash)
			if err != nil {
				return err
			}
			if !found || spent.UsedAt.IsZero() {
				return lrerr.New(lrerr.CodeRefreshTokenInvalid)
			}
			reused = &spent
			_, err = tx.RevokeSession(spent.SessionID, now)
			return err
		}
		if t.SessionID != sessionID {
			return errSessionMoved
		}
		return gr.write(tx, now)
	})
	return reused, err
}

// refreshReused revokes the login session of a spent refresh token that
// was presented again and returns 1217.
func (g *Gateway) refreshReused(ctx context.Context, tok store.Token, now time.Time) error {
	if err := g.store.Update(ctx, func(tx store.Tx) error {
		_, err := tx.RevokeSession(tok.SessionID, now)
		return err
	}); err != nil {
		return lrerr.Unavailable(err)
	}
	g.cache.RevokeSessions([]string{tok.SessionID}, now, g.cfg.AccessTTL)
	g.logReuse(tok)
	return lrerr.New(lrerr.CodeRefreshTokenInvalid)
}

// logReuse records a refresh-token reuse: a leaked token or a replaying
// client, worth an operator's look.
func (g *Gateway) logReuse(tok store.Token) {
	g.log.Warn("refresh token reused; login session revoked",
		zap.String("tenant", tok.Tenant), zap.String("uid", tok.UID))
}

// revokeRefreshToken serves GET /manage/account/access_token/refresh/revoke:
// the refresh token's whole family (every refresh token of its login
// session) stops working. As with LoginRadius, the session's access tokens
// keep working until they expire; invalidate them with the access-token
// invalidate call.
func (g *Gateway) revokeRefreshToken(c *call) (any, error) {
	raw := c.q.Get("refresh_token")
	if raw == "" {
		return nil, lrerr.WithDescription(lrerr.CodeParameterFormat, "The refresh_token is a required parameter.")
	}
	ctx := c.r.Context()
	tok, found, err := g.store.Token(ctx, store.TokenRefresh, secret.TokenHash(raw))
	if err != nil {
		return nil, lrerr.Unavailable(err)
	}
	if !found || tok.Tenant != c.tenant.Name {
		return nil, lrerr.New(lrerr.CodeRefreshTokenInvalid)
	}
	if err := g.store.Update(ctx, func(tx store.Tx) error {
		_, err := tx.DeleteSessionTokens(tok.SessionID, store.TokenRefresh)
		return err
	}); err != nil {
		return nil, lrerr.Unavailable(err)
	}
	return isDeleted, nil
}

// revokeAllRefreshTokens serves DELETE
// /manage/account/{uid}/access_token/refresh/revoke: every refresh token of
// the account stops working (access tokens expire on their own).
func (g *Gateway) revokeAllRefreshTokens(c *call) (any, error) {
	ref := store.AccountRef{Tenant: c.tenant.Name, UID: c.uid}
	err := g.store.Update(c.r.Context(), func(tx store.Tx) error {
		if _, found, err := tx.Account(ref.Tenant, ref.UID); err != nil {
			return err
		} else if !found {
			return lrerr.New(lrerr.CodeUserNotFound)
		}
		_, err := tx.DeleteTokens(ref, []store.TokenKind{store.TokenRefresh}, "")
		return err
	})
	if err != nil {
		return nil, lrerr.As(err)
	}
	return isDeleted, nil
}
