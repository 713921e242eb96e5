package pinauth

import (
	"context"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/observe"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// pinBody is a body carrying a PIN ({"PIN": "…"} in any key case).
type pinBody struct {
	PIN string
}

// pinLogin serves POST /auth/login/pin?session_token=…: a login with the PIN
// session_token from a password login and the account's PIN. Wrong PINs
// count toward the lockout; the session_token stays valid (spec: decided).
func (g *Gateway) pinLogin(c *call) (res any, err error) {
	defer g.observeLogin(c, observe.LoginPIN, &res, &err)
	var b pinBody
	if e := apireq.DecodeJSON(c.r, &b, false); e != nil {
		return nil, e
	}
	raw := c.q.Get("session_token")
	if raw == "" {
		return nil, lrerr.WithDescription(lrerr.CodeParameterFormat, "The session_token is a required parameter.")
	}
	if e := checkPINFormat(c.tenant, "PIN", b.PIN); e != nil {
		return nil, e
	}
	ctx := c.r.Context()
	tok, e := g.pinSessionToken(ctx, c, raw, b.PIN)
	if e != nil {
		return nil, e
	}
	a, found, err := g.store.Account(ctx, tok.Tenant, tok.UID)
	if err != nil {
		return nil, lrerr.Unavailable(err)
	}
	if !found {
		return nil, lrerr.New(lrerr.CodeSessionTokenInvalid)
	}
	if a.PINHash == "" {
		return nil, lrerr.New(lrerr.CodePINNotAvailable)
	}
	rehash, err := g.checkCredential(ctx, c, credentialCheck{
		account: &a, encoded: a.PINHash, secret: b.PIN, failure: lrerr.CodePINInvalid, reason: "pin",
	})
	if err != nil {
		return nil, err
	}
	if !a.Active {
		return nil, lrerr.New(lrerr.CodeAccountBlocked)
	}
	var mutate func(*store.Account)
	if rehash {
		h, err := g.hasher.Hash(ctx, c.hashClient(), b.PIN)
		if err != nil {
			return nil, g.hashQueueError(err)
		}
		mutate = func(acc *store.Account) { acc.PINHash = h }
	}
	// The session's end decides whether the token may carry the profile;
	// a missing session fails the login in its transaction.
	ses, _, err := g.store.Session(ctx, tok.SessionID)
	if err != nil {
		return nil, lrerr.Unavailable(err)
	}
	gr, err := g.newGrant(&a, tok.SessionID, ses.ExpiresAt, false, c.now)
	if err != nil {
		return nil, err
	}
	resp, err := g.completeLogin(ctx, c, &a, gr, loginTx{
		// The session may have been revoked (logout elsewhere) since the
		// token was read: then the token is gone too and the login fails.
		before: func(tx store.Tx) error { return requirePINSession(tx, tok) },
		mutate: mutate,
	})
	return resp, err
}

// pinSessionToken finds a valid PIN session token of the caller's tenant.
// Invalid tokens still cost one hash, so their timing matches valid ones.
func (g *Gateway) pinSessionToken(ctx context.Context, c *call, raw, pin string) (store.Token, error) {
	tok, found, err := g.store.Token(ctx, store.TokenPINSession, secret.TokenHash(raw))
	if err != nil {
		return tok, lrerr.Unavailable(err)
	}
	code := lrerr.Code(0)
	switch {
	case !found || tok.Tenant != c.tenant.Name:
		code = lrerr.CodeSessionTokenInvalid
	case !tok.UsedAt.IsZero():
		// Invalidated by a lockout: say so while the lock lasts.
		att, _, err := g.store.Attempts(ctx, store.AccountRef{Tenant: tok.Tenant, UID: tok.UID})
		if err != nil {
			return tok, lrerr.Unavailable(err)
		}
		if att.Locked(c.now) {
			// A refused guess like any other: rate-limited and logged
			// (fail2ban counts these), though no secret is compared.
			if err := g.limitClient(c); err != nil {
				return tok, err
			}
			g.logFailure(c, "pin_locked", tok.UID)
			return tok, g.lockError(att, c.now)
		}
		code = lrerr.CodeSessionTokenInvalid
	case !c.now.Before(tok.ExpiresAt):
		code = lrerr.CodeSessionTokenExpired
	}
	if code != 0 {
		_, err := g.checkCredential(ctx, c, credentialCheck{secret: pin, failure: code, reason: "invalid_session_token"})
		return tok, err
	}
	return tok, nil
}

// requirePINSession fails the transaction when the PIN session token was
// deleted meanwhile (invalidated, session revoked, account locked) or moved
// to another session (a logout): the grant was made for the old one.
func requirePINSession(tx store.Tx, tok store.Token) error {
	if t, found, err := tx.Token(store.TokenPINSession, tok.Hash); err != nil {
		return err
	} else if !found || !t.UsedAt.IsZero() || t.SessionID != tok.SessionID {
		return lrerr.New(lrerr.CodeSessionTokenInvalid)
	}
	return nil
}
