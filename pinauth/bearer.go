package pinauth

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/cache"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/tokens"
)

// bearer is the caller of an API call authenticated by an access token.
type bearer struct {
	raw     string
	token   *cache.Token
	profile *cache.Profile
}

// ref names the caller's account.
func (b *bearer) ref() store.AccountRef {
	return store.AccountRef{Tenant: b.token.Tenant, UID: b.token.UID}
}

// sid is the caller's login session.
func (b *bearer) sid() string { return b.token.SID }

// bearerOf authenticates an API call by its access token, sent as
// Authorization: Bearer or as the access_token query parameter. It uses the
// protected path's verification (cache, revoked sessions, blocked accounts)
// and also requires the token to belong to the tenant of the call's API
// key: a token of another tenant is invalid here (905). A missing token is
// 1060.
func (g *Gateway) bearerOf(c *call) (*bearer, error) {
	raw := ""
	if h := c.r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		raw = strings.TrimSpace(h[7:])
	}
	if raw == "" {
		raw = c.q.Get("access_token")
	}
	if raw == "" {
		return nil, lrerr.New(lrerr.CodeAccessTokenMissing)
	}
	vt, prof, e := g.authenticate(c.r.Context(), raw)
	if e != nil {
		return nil, e
	}
	if vt.Tenant != c.tenant.Name {
		return nil, lrerr.New(lrerr.CodeAccessTokenInvalid)
	}
	return &bearer{raw: raw, token: vt, profile: prof}, nil
}

// bearerAccount authenticates the call and reads the caller's account from
// the store (not the cache): credential checks and changes need the
// current hashes and version.
func (g *Gateway) bearerAccount(c *call) (*bearer, store.Account, error) {
	b, err := g.bearerOf(c)
	if err != nil {
		return nil, store.Account{}, err
	}
	a, found, err := g.store.Account(c.r.Context(), b.token.Tenant, b.token.UID)
	if err != nil {
		return nil, a, lrerr.Unavailable(err)
	}
	if !found {
		return nil, a, lrerr.New(lrerr.CodeAccessTokenInvalid)
	}
	if !a.Active {
		return nil, a, lrerr.New(lrerr.CodeAccountBlocked)
	}
	return b, a, nil
}

// accessClaimsOf verifies an access token of either format and returns its
// claims; the session is not checked (see verifyUncached).
func (g *Gateway) accessClaimsOf(ctx context.Context, raw string, now time.Time) (*tokens.Claims, *lrerr.Error) {
	if tokens.IsHandle(raw) {
		return g.handleClaims(ctx, raw, now)
	}
	return g.parseAccessToken(ctx, raw)
}

// parseAccessToken verifies a JWT access token. It returns the claims, or
// an *Error with 906 for an expired token and 905 for any other defect.
func (g *Gateway) parseAccessToken(ctx context.Context, raw string) (*tokens.Claims, *lrerr.Error) {
	c, err := g.tokens.Parse(ctx, raw)
	if errors.Is(err, tokens.ErrExpired) {
		return nil, lrerr.New(lrerr.CodeAccessTokenExpired)
	}
	if err != nil {
		return nil, lrerr.New(lrerr.CodeAccessTokenInvalid)
	}
	return c, nil
}
