package pinauth

import (
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/observe"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// setPINByPINAuthToken serves POST /auth/pin/set/pinauthtoken?pinauthtoken=…:
// an account without a PIN sets its first PIN with the single-use token
// from password login and is logged in (response includes session_token).
func (g *Gateway) setPINByPINAuthToken(c *call) (res any, err error) {
	defer g.observeLogin(c, observe.LoginPINSet, &res, &err)
	var b pinBody
	if e := apireq.DecodeJSON(c.r, &b, false); e != nil {
		return nil, e
	}
	raw := c.q.Get("pinauthtoken")
	if raw == "" {
		return nil, lrerr.WithDescription(lrerr.CodeParameterFormat, "The pinauthtoken is a required parameter.")
	}
	if e := validatePIN(c.tenant, "PIN", b.PIN); e != nil {
		return nil, e
	}
	// Setting a PIN is a credential call: it is rate-limited per client
	// like the others, also when the token turns out to be invalid.
	if err := g.limitClient(c); err != nil {
		return nil, err
	}
	ctx := c.r.Context()
	hash := secret.TokenHash(raw)
	tok, e := g.oneTimeToken(c, store.TokenPINAuth, hash, lrerr.CodePINAuthTokenInvalid, lrerr.CodePINAuthTokenExpired)
	if e != nil {
		return nil, e
	}
	a, found, err := g.store.Account(ctx, tok.Tenant, tok.UID)
	if err != nil {
		return nil, lrerr.Unavailable(err)
	}
	if !found || a.PINHash != "" {
		return nil, lrerr.New(lrerr.CodePINAuthTokenInvalid)
	}
	if !a.Active {
		return nil, lrerr.New(lrerr.CodeAccountBlocked)
	}
	pinHash, err := g.hasher.Hash(ctx, c.hashClient(), b.PIN)
	if err != nil {
		return nil, g.hashQueueError(err)
	}
	gr, err := g.newGrant(&a, "", time.Time{}, true, c.now)
	if err != nil {
		return nil, err
	}
	return g.completeLogin(ctx, c, &a, gr, loginTx{
		// Consuming the token inside the transaction makes the PIN set
		// exactly once even when the token is presented concurrently.
		before: func(tx store.Tx) error {
			if _, ok, err := tx.ConsumeToken(store.TokenPINAuth, hash, c.now); err != nil {
				return err
			} else if !ok {
				return lrerr.New(lrerr.CodePINAuthTokenInvalid)
			}
			return nil
		},
		mutate: func(acc *store.Account) {
			acc.PINHash = pinHash
			acc.PINChangedAt = c.now
			acc.PINSkipped = false
		},
		hooks: []string{webhook.SetPIN},
	})
}

// oneTimeToken looks up an unused, unexpired one-time token of the caller's
// tenant without consuming it, mapping each defect to the caller's codes.
// The transaction that acts on it must consume it.
func (g *Gateway) oneTimeToken(c *call, kind store.TokenKind, hash string, invalid, expired lrerr.Code) (store.Token, error) {
	tok, found, err := g.store.Token(c.r.Context(), kind, hash)
	switch {
	case err != nil:
		return tok, lrerr.Unavailable(err)
	case !found || tok.Tenant != c.tenant.Name || !tok.UsedAt.IsZero():
		return tok, lrerr.New(invalid)
	case !c.now.Before(tok.ExpiresAt):
		return tok, lrerr.New(expired)
	}
	return tok, nil
}
