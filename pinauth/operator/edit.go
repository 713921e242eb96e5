package operator

import (
	"context"
	"maps"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// accountEdit is an operator's change to one account, checked and with its
// secrets hashed, ready to apply in a transaction.
type accountEdit struct {
	in  *lrprofile.Input
	act Act
	ref store.AccountRef
	hashedInput
	// lock sets an operator's block lock; unlock lifts any lock.
	lock, unlock bool
	now          time.Time
	// revoked are the sessions the transaction revoked, for the caches.
	revoked []string
}

// editAccount applies validated input to account uid, for the account API
// and Admin alike (see API.EditAccount), and returns the saved account.
func editAccount(ctx context.Context, core Core, act Act, uid string, in *lrprofile.Input) (store.Account, error) {
	ed, err := newAccountEdit(ctx, core.Store(), act, uid, in)
	if err != nil {
		return store.Account{}, err
	}
	var saved store.Account
	err = core.UpdateAccount(ctx, ed.ref, ed.apply, func(_ store.Tx, a *store.Account) error {
		saved = *a
		return nil
	})
	if err != nil {
		return store.Account{}, duplicateError(err)
	}
	core.SessionsRevoked(ed.revoked, ed.now)
	return saved, nil
}

// newAccountEdit checks in as a change to account uid, hashes its secrets
// and works out the lock change it asks for.
func newAccountEdit(ctx context.Context, st store.Reader, act Act, uid string, in *lrprofile.Input) (*accountEdit, error) {
	if in.UID != nil && *in.UID != uid {
		return nil, lrerr.Field("Uid", "The Uid of an account cannot be changed.")
	}
	h, err := hashInput(ctx, act, in)
	if err != nil {
		return nil, err
	}
	ed := &accountEdit{in: in, act: act, ref: store.AccountRef{Tenant: act.Tenant(), UID: uid}, hashedInput: h, now: act.Now(),
		unlock: in.LoginLocked != nil && !*in.LoginLocked,
		lock:   in.LoginLocked != nil && *in.LoginLocked}
	if in.Active != nil && *in.Active && in.LoginLocked == nil {
		// Activating an account lifts a block lock (only an operator can).
		att, _, err := st.Attempts(ctx, ed.ref)
		if err != nil {
			return nil, lrerr.Unavailable(err)
		}
		ed.unlock = att.Blocked(ed.now)
	}
	return ed, nil
}

// apply applies the edit to account a inside tx: its fields and secrets,
// the sessions and tokens that relied on what changed, the lock change, and
// the webhook events of it all.
func (ed *accountEdit) apply(tx store.Tx, a *store.Account) error {
	wasActive, hadPIN := a.Active, a.PINHash != ""
	ed.in.Apply(a)
	mergeAnswers(a, ed.answers)
	if e := checkIdentified(a); e != nil {
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
		if err := tx.LiftLocks(ed.ref); err != nil {
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
		if err := ed.act.Emit(tx, h, a); err != nil {
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
	if err := tx.LiftLocks(ed.ref); err != nil {
		return false, err
	}
	locked, err := tx.Lock(ed.ref, 0, store.LockBlock, store.BlockedUntil, ed.now)
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
