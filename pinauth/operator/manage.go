package operator

import (
	"context"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// CreateAccount serves POST /manage/account: a new account with a password
// and, optionally, a first PIN (PINInfo.PIN).
func (api *API) CreateAccount(r Request) (any, error) {
	in, e := lrprofile.ParseInput(r.HTTP)
	if e != nil {
		return nil, e
	}
	a, err := createAccount(r.HTTP.Context(), api.core, r.Act, in)
	if err != nil {
		return nil, err
	}
	return lrprofile.View(&a, store.Attempts{}, r.Act.Now()), nil
}

// FindAccount serves GET /manage/account?email=…|username=…|phone=….
func (api *API) FindAccount(r Request) (any, error) {
	kind, value, e := lookupQuery(r.Query)
	if e != nil {
		return nil, e
	}
	a, found, err := api.core.Store().AccountBy(r.HTTP.Context(), r.Act.Tenant(), kind, value)
	return api.found(r, &a, found, err)
}

// GetAccount serves GET /manage/account/{uid}.
func (api *API) GetAccount(r Request) (any, error) {
	a, found, err := api.core.Store().Account(r.HTTP.Context(), r.Act.Tenant(), r.UID)
	return api.found(r, &a, found, err)
}

// found answers an account look-up: the profile with its current lock
// state, 938 when there is no such account, 503 for a store fault.
func (api *API) found(r Request, a *store.Account, found bool, err error) (any, error) {
	if err != nil {
		return nil, lrerr.Unavailable(err)
	}
	if !found {
		return nil, lrerr.New(lrerr.CodeUserNotFound)
	}
	return accountView(r.HTTP.Context(), api.core.Store(), a, r.Act.Now())
}

// EditAccount serves PUT /manage/account/{uid}: profile fields, roles,
// IsActive (false blocks the account and revokes its sessions; true also
// lifts a block lock), IsLoginLocked (false lifts any lock, true sets a
// block lock), Password and PINInfo.PIN (each revokes the sessions that
// relied on the old secret), SecurityQuestionAnswer ({questionId:
// answer}, stored hashed, added to or replacing the account's answers of
// those questions).
func (api *API) EditAccount(r Request) (any, error) {
	in, e := lrprofile.ParseInput(r.HTTP)
	if e != nil {
		return nil, e
	}
	ctx := r.HTTP.Context()
	saved, err := editAccount(ctx, api.core, r.Act, r.UID, in)
	if err != nil {
		return nil, err
	}
	return accountView(ctx, api.core.Store(), &saved, r.Act.Now())
}

// DeleteAccount serves DELETE /manage/account/{uid}. Its sessions are
// revoked first so cached access tokens stop at once.
func (api *API) DeleteAccount(r Request) (any, error) {
	if err := deleteAccount(r.HTTP.Context(), api.core, r.Act, r.UID); err != nil {
		return nil, err
	}
	return isDeleted, nil
}

// accountView renders a profile with its current lock state.
func accountView(ctx context.Context, st store.Reader, a *store.Account, now time.Time) (lrprofile.Profile, error) {
	att, _, err := st.Attempts(ctx, a.Ref())
	if err != nil {
		return nil, lrerr.Unavailable(err)
	}
	return lrprofile.View(a, att, now), nil
}

// createAccount creates an account from validated input, for the account
// API and Admin alike: password and optional PIN hashed with the current
// pepper, the tenant's PIN policy, the Register event.
func createAccount(ctx context.Context, core Core, act Act, in *lrprofile.Input) (store.Account, error) {
	if e := checkNew(in); e != nil {
		return store.Account{}, e
	}
	h, err := hashInput(ctx, act, in)
	if err != nil {
		return store.Account{}, err
	}
	now := act.Now()
	a := store.Account{Tenant: act.Tenant(), UID: newUID(), Active: true, CreatedAt: now, ModifiedAt: now,
		SecurityAnswers: h.answers}
	in.Apply(&a)
	a.PasswordHash = h.passwordHash
	if in.PIN != nil {
		a.PINHash, a.PINChangedAt = h.pinHash, now
	}
	err = core.Store().Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateAccount(a); err != nil {
			return err
		}
		a.Version = 1
		return act.Emit(tx, webhook.Register, &a)
	})
	if err != nil {
		return store.Account{}, duplicateError(err)
	}
	return a, nil
}

// deleteAccount deletes account uid with its sessions and tokens, for the
// account API and Admin alike.
func deleteAccount(ctx context.Context, core Core, act Act, uid string) error {
	return DeleteAccountIf(ctx, core, act, uid, nil)
}

// DeleteAccountIf deletes account uid of act's tenant as DELETE
// /manage/account/{uid} does, in one transaction: allow (when set) runs
// first with the account and may refuse (its error is the answer, and
// nothing is written); then the account's sessions are revoked, the
// DeleteAccount event recorded and the account deleted with its
// identifiers, tokens, PIN, security answers and roles. The revoked
// sessions' access tokens stop at once here and, through the changes
// journal, on every node. A missing account is 938. The self-service
// deletion (issue 20) takes its emailed token in allow.
func DeleteAccountIf(ctx context.Context, core Core, act Act, uid string, allow func(store.Tx, *store.Account) error) error {
	ref := store.AccountRef{Tenant: act.Tenant(), UID: uid}
	var revoked []string
	err := core.Store().Update(ctx, func(tx store.Tx) error {
		a, found, err := tx.Account(ref.Tenant, ref.UID)
		if err != nil {
			return err
		}
		if !found {
			return lrerr.New(lrerr.CodeUserNotFound)
		}
		if allow != nil {
			if err := allow(tx, &a); err != nil {
				return err
			}
		}
		if revoked, err = tx.RevokeSessions(ref, "", act.Now()); err != nil {
			return err
		}
		if err := act.Emit(tx, webhook.DeleteAccount, &a); err != nil {
			return err
		}
		_, err = tx.DeleteAccount(ref.Tenant, ref.UID)
		return err
	})
	if err != nil {
		return lrerr.As(err)
	}
	core.SessionsRevoked(revoked, act.Now())
	core.AccountChanged(ref.Tenant, ref.UID)
	return nil
}

// hashedInput holds an input's secrets and security answers hashed, each
// empty when the input does not set it.
type hashedInput struct {
	answers               map[string]string
	passwordHash, pinHash string
}

// hashInput checks the input's PIN against the tenant's policy and its
// security answers against the tenant's questions, then hashes them and
// the password with the current pepper.
func hashInput(ctx context.Context, act Act, in *lrprofile.Input) (hashedInput, error) {
	var h hashedInput
	if in.PIN != nil {
		if e := act.CheckPIN("PINInfo.PIN", *in.PIN); e != nil {
			return h, e
		}
	}
	var err error
	if h.answers, err = act.HashAnswers(ctx, in.Answers); err != nil {
		return h, err
	}
	if in.Password != nil {
		if h.passwordHash, err = act.Hash(ctx, *in.Password); err != nil {
			return h, err
		}
	}
	if in.PIN != nil {
		if h.pinHash, err = act.Hash(ctx, *in.PIN); err != nil {
			return h, err
		}
	}
	return h, nil
}

// newUID returns a new account uid: 32 lowercase hex digits, as LoginRadius
// formats Uid.
func newUID() string { return secret.Hex(16) }
