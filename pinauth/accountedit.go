package pinauth

import (
	"context"
	"maps"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/operator"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// editAccount serves PUT /manage/account/{uid}: profile fields, roles,
// IsActive (false blocks the account and revokes its sessions; true also
// lifts a block lock), IsLoginLocked (false lifts any lock, true sets a
// block lock), Password and PINInfo.PIN (each revokes the sessions that
// relied on the old secret), SecurityQuestionAnswer ({questionId:
// answer}, stored hashed, added to or replacing the account's answers of
// those questions).
func (g *Gateway) editAccount(c *call) (any, error) {
	in, e := lrprofile.ParseInput(c.r)
	if e != nil {
		return nil, e
	}
	saved, err := g.editAccountFor(c.r.Context(), c, c.uid, in)
	if err != nil {
		return nil, err
	}
	return g.accountView(c.r.Context(), &saved, c)
}

// accountEdit is an operator's change to one account, checked and with its
// secrets hashed, ready to apply in a transaction.
type accountEdit struct {
	in  *lrprofile.Input
	ref store.AccountRef
	hashedInput
	// lock sets an operator's block lock; unlock lifts any lock.
	lock, unlock bool
	now          time.Time
	// revoked are the sessions the transaction revoked, for the caches.
	revoked []string
}

// editAccountFor applies validated input to account uid, for the management
// API and the operator's Admin alike (see editAccount), and returns the
// saved account.
func (g *Gateway) editAccountFor(ctx context.Context, c *call, uid string, in *lrprofile.Input) (store.Account, error) {
	ed, err := g.newAccountEdit(ctx, c, uid, in)
	if err != nil {
		return store.Account{}, err
	}
	var saved store.Account
	err = g.updateAccount(ctx, ed.ref, nil, func(tx store.Tx, a *store.Account) error {
		return g.applyEdit(tx, c, ed, a)
	}, func(_ store.Tx, a *store.Account) error {
		saved = *a
		return nil
	})
	if err != nil {
		return store.Account{}, operator.DuplicateError(err)
	}
	g.cache.revokeSessions(ed.revoked, c.now, g.cfg.AccessTTL)
	return saved, nil
}

// newAccountEdit checks in as a change to account uid, hashes its secrets
// and works out the lock change it asks for.
func (g *Gateway) newAccountEdit(ctx context.Context, c *call, uid string, in *lrprofile.Input) (*accountEdit, error) {
	if in.UID != nil && *in.UID != uid {
		return nil, fieldError("Uid", "The Uid of an account cannot be changed.")
	}
	h, err := g.hashInput(ctx, c, in)
	if err != nil {
		return nil, err
	}
	ed := &accountEdit{in: in, ref: store.AccountRef{Tenant: c.tenant.Name, UID: uid}, hashedInput: h, now: c.now,
		unlock: in.LoginLocked != nil && !*in.LoginLocked,
		lock:   in.LoginLocked != nil && *in.LoginLocked}
	if in.Active != nil && *in.Active && in.LoginLocked == nil {
		// Activating an account lifts a block lock (only an operator can).
		if ed.unlock, err = g.blockLocked(ctx, ed.ref, c.now); err != nil {
			return nil, lrerr.Unavailable(err)
		}
	}
	return ed, nil
}

// applyEdit applies ed to account a inside tx: its fields and secrets, the
// sessions and tokens that relied on what changed, the lock change, and the
// webhook events of it all.
func (g *Gateway) applyEdit(tx store.Tx, c *call, ed *accountEdit, a *store.Account) error {
	wasActive, hadPIN := a.Active, a.PINHash != ""
	ed.in.Apply(a)
	mergeAnswers(a, ed.answers)
	if e := operator.CheckIdentified(a); e != nil {
		// Clearing the last identifier would leave an account no login
		// can reach: refuse it as create does.
		return e
	}
	hooks := ed.setSecrets(a, hadPIN)
	hooks = append(hooks, webhook.UpdateProfile)
	blocked := wasActive && !a.Active
	if blocked {
		// A block is a security event, as LoginRadius's Account Update
		// sends it.
		hooks = append(hooks, webhook.BlockAccount)
	}
	if err := ed.endSessions(tx, blocked || ed.passwordHash != ""); err != nil {
		return err
	}
	if ed.unlock {
		if err := tx.ClearAttempts(ed.ref); err != nil {
			return err
		}
	}
	if ed.lock {
		locked, err := ed.operatorLock(tx)
		if err != nil {
			return err
		}
		if locked {
			hooks = append(hooks, webhook.BlockAccount)
		}
	}
	for _, h := range hooks {
		if err := g.emit(tx, c, h, a); err != nil {
			return err
		}
	}
	return nil
}

// setSecrets sets the edit's new password and PIN on a, a new password also
// ending an import's need for a secret reset, and returns the PIN's event
// (SetPIN for a first PIN, ChangePIN otherwise), if any.
func (ed *accountEdit) setSecrets(a *store.Account, hadPIN bool) []string {
	if ed.passwordHash != "" {
		a.PasswordHash, a.NeedsSecretReset = ed.passwordHash, false
	}
	if ed.pinHash == "" {
		return nil
	}
	a.PINHash, a.PINChangedAt, a.PINSkipped = ed.pinHash, ed.now, false
	if hadPIN {
		return []string{webhook.ChangePIN}
	}
	return []string{webhook.SetPIN}
}

// endSessions revokes every session of the account when revokeAll (a block
// or a new password), and drops its PIN session and PIN auth tokens then
// or when the PIN changed.
func (ed *accountEdit) endSessions(tx store.Tx, revokeAll bool) error {
	if revokeAll {
		ids, err := tx.RevokeSessions(ed.ref, "", ed.now)
		if err != nil {
			return err
		}
		ed.revoked = ids
	}
	if revokeAll || ed.pinHash != "" {
		if _, err := tx.DeleteTokens(ed.ref, []store.TokenKind{store.TokenPINSession, store.TokenPINAuth}, ""); err != nil {
			return err
		}
	}
	return nil
}

// operatorLock sets an operator's lock: a block until an operator lifts it
// (IsLoginLocked false, or IsActive true), which, like a lockout, stops the
// account's PIN session tokens. It replaces a lockout in force (which would
// end on its own). It reports whether the account was locked.
func (ed *accountEdit) operatorLock(tx store.Tx) (bool, error) {
	if err := tx.ClearAttempts(ed.ref); err != nil {
		return false, err
	}
	locked, err := tx.Lock(ed.ref, 0, store.LockBlock, farFuture, ed.now)
	if err != nil || !locked {
		return false, err
	}
	if _, err := tx.InvalidateTokens(ed.ref, []store.TokenKind{store.TokenPINSession}, "", ed.now); err != nil {
		return false, err
	}
	return true, nil
}

// mergeAnswers sets the account's answers of the questions in hashes,
// keeping its answers of other questions.
func mergeAnswers(a *store.Account, hashes map[string]string) {
	if len(hashes) == 0 {
		return
	}
	if a.SecurityAnswers == nil {
		a.SecurityAnswers = make(map[string]string, len(hashes))
	}
	maps.Copy(a.SecurityAnswers, hashes)
}
