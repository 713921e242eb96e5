package pinauth

import (
	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// pinChangeBody is the body of PUT/POST /auth/pin/change.
type pinChangeBody struct {
	OldPIN string
	NewPIN string
}

// changePIN serves PUT and POST /auth/pin/change ("Update PIN with Access
// Token"). A wrong OldPIN is 401/1241 and counts toward the lockout. On
// success every other login session of the account is revoked (their
// access tokens fail on the protected path at once, their refresh and PIN
// session tokens are deleted), and so is every PIN session token not bound
// to the caller's session; the caller's session and its tokens stay.
func (g *Gateway) changePIN(c *call) (any, error) {
	var body pinChangeBody
	if e := apireq.DecodeJSON(c.r, &body, false); e != nil {
		return nil, e
	}
	b, a, err := g.bearerAccount(c)
	if err != nil {
		return nil, err
	}
	if e := checkPINFormat(c.tenant, "OldPIN", body.OldPIN); e != nil {
		return nil, e
	}
	if e := validatePIN(c.tenant, "NewPIN", body.NewPIN); e != nil {
		return nil, e
	}
	if a.PINHash == "" {
		return nil, lrerr.New(lrerr.CodePINNotAvailable)
	}
	ctx := c.r.Context()
	if _, err := g.checkCredential(ctx, c, credentialCheck{
		account: &a, encoded: a.PINHash, secret: body.OldPIN, failure: lrerr.CodeCurrentPINInvalid, reason: "pin_change",
	}); err != nil {
		return nil, err
	}
	pinHash, err := g.hasher.Hash(ctx, c.hashClient(), body.NewPIN)
	if err != nil {
		return nil, g.hashQueueError(err)
	}
	ref, sid := b.ref(), b.sid()
	var revoked []string
	err = g.updateAccount(ctx, ref, nil, func(tx store.Tx, acc *store.Account) error {
		acc.PINHash, acc.PINChangedAt, acc.PINSkipped = pinHash, c.now, false
		return nil
	}, func(tx store.Tx, acc *store.Account) error {
		var err error
		if revoked, err = tx.RevokeSessions(ref, sid, c.now); err != nil {
			return err
		}
		// Tokens bound to no session (second-factor tokens of logins in
		// progress) or left on revoked sessions go too.
		if _, err := tx.DeleteTokens(ref, []store.TokenKind{store.TokenPINSession, store.TokenPINAuth,
			store.TokenSecondFactor, store.TokenStepUp}, sid); err != nil {
			return err
		}
		if err := tx.ClearAttempts(ref); err != nil {
			return err
		}
		return g.emit(tx, c, webhook.ChangePIN, acc)
	})
	if err != nil {
		return nil, lrerr.As(err)
	}
	g.cache.RevokeSessions(revoked, c.now, g.cfg.AccessTTL)
	return isPosted, nil
}
