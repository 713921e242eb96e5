package pinauth

import (
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// ownSecretChange is an account holder's change of one of its secrets (PIN
// or password) by access token, its input already checked.
type ownSecretChange struct {
	// current checks the old secret (through the one credential gate).
	current credentialCheck
	// next is the new secret; set stores its hash on the account.
	next string
	set  func(acc *store.Account, hash string)
	// voidResets also voids the account's unused reset tokens and OTPs.
	voidResets bool
	// hook is the webhook event recorded.
	hook string
}

// changeOwnSecret checks the old secret, hashes the new one and, in one
// transaction, sets it, revokes every other login session of the account
// (their access and refresh tokens die with them, journalled for the other
// nodes), deletes its PIN session, PinAuth, second-factor and step-up
// tokens not bound to the caller's session, voids its reset secrets when
// asked, clears its failure count and records the event; then it drops
// the revoked sessions from the token cache. The caller's session and its
// tokens stay. It answers IsPosted.
func (g *Gateway) changeOwnSecret(c *call, b *bearer, ch ownSecretChange) (any, error) {
	ctx := c.r.Context()
	if _, err := g.checkCredential(ctx, c, ch.current); err != nil {
		return nil, err
	}
	hash, err := g.hasher.Hash(ctx, c.hashClient(), ch.next)
	if err != nil {
		return nil, g.hashQueueError(err)
	}
	ref, sid := b.ref(), b.sid()
	var revoked []string
	err = g.updateAccount(ctx, ref, nil, func(_ store.Tx, acc *store.Account) error {
		ch.set(acc, hash)
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
		if ch.voidResets {
			if _, err := tx.InvalidateTokens(ref, []store.TokenKind{store.TokenPINReset, store.TokenPasswordReset,
				store.TokenOTP}, "", c.now); err != nil {
				return err
			}
		}
		if err := tx.ClearAttempts(ref); err != nil {
			return err
		}
		return g.emit(tx, c, ch.hook, acc)
	})
	if err != nil {
		return nil, lrerr.As(err)
	}
	g.cache.RevokeSessions(revoked, c.now, g.cfg.AccessTTL)
	return isPosted, nil
}
