package pinauth

import (
	"context"
	"maps"
	"slices"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// createAccount serves POST /manage/account: a new account with a password
// and, optionally, a first PIN (PINInfo.PIN).
func (g *Gateway) createAccount(c *call) (any, error) {
	in, e := lrprofile.ParseInput(c.r)
	if e != nil {
		return nil, e
	}
	a, err := g.createAccountFor(c.r.Context(), c, in)
	if err != nil {
		return nil, err
	}
	return lrprofile.View(&a, store.Attempts{}, c.now), nil
}

// createAccountFor creates an account from validated input, for the
// management API and the operator's Admin: password and optional PIN hashed
// with the current pepper, the tenant's PIN policy, the Register event.
func (g *Gateway) createAccountFor(ctx context.Context, c *call, in *lrprofile.Input) (store.Account, error) {
	var fields []lrerr.FieldError
	if len(in.Emails) == 0 && (in.Username == nil || *in.Username == "") && (in.Phone == nil || *in.Phone == "") {
		fields = append(fields, errNoIdentifier)
	}
	if in.Password == nil {
		fields = append(fields, lrerr.FieldError{FieldName: "Password", ErrorMessage: "The Password is required."})
	}
	if in.UID != nil {
		fields = append(fields, lrerr.FieldError{FieldName: "Uid", ErrorMessage: "The gateway assigns the Uid of a new account."})
	}
	if in.LoginLocked != nil && *in.LoginLocked {
		fields = append(fields, lrerr.FieldError{FieldName: "IsLoginLocked", ErrorMessage: "Lock an account with PUT /manage/account/{uid} once it exists."})
	}
	if fields != nil {
		return store.Account{}, &lrerr.Error{Code: lrerr.CodeValidation, Fields: fields}
	}
	if in.PIN != nil {
		if e := validatePIN(c.tenant, "PINInfo.PIN", *in.PIN); e != nil {
			return store.Account{}, e
		}
	}
	answers, err := g.answerHashes(ctx, c, in)
	if err != nil {
		return store.Account{}, err
	}
	a := store.Account{Tenant: c.tenant.Name, UID: newUID(), Active: true, CreatedAt: c.now, ModifiedAt: c.now,
		SecurityAnswers: answers}
	in.Apply(&a)
	if a.PasswordHash, err = g.hasher.Hash(ctx, c.hashClient(), *in.Password); err != nil {
		return store.Account{}, g.hashQueueError(err)
	}
	if in.PIN != nil {
		if a.PINHash, err = g.hasher.Hash(ctx, c.hashClient(), *in.PIN); err != nil {
			return store.Account{}, g.hashQueueError(err)
		}
		a.PINChangedAt = c.now
	}
	err = g.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateAccount(a); err != nil {
			return err
		}
		a.Version = 1
		return g.emit(tx, c, webhook.Register, &a)
	})
	if err != nil {
		return store.Account{}, duplicateError(err)
	}
	return a, nil
}

// errNoIdentifier is the field error of an account left without an email,
// a user name and a phone: nothing a login could find it by.
var errNoIdentifier = lrerr.FieldError{FieldName: "Email", ErrorMessage: "An Email, UserName or PhoneId is required."}

// duplicateError maps a store duplicate to LoginRadius's code for the
// field already taken: 936 for an email, 1017 for a user name, 1058 for a
// phone (names are unique across kinds, so a user name equal to another
// account's email is 1017 too), a 1134 field error for a Uid (an import's).
func duplicateError(err error) error {
	d, ok := store.IsDuplicate(err)
	if !ok {
		return lrerr.As(err)
	}
	switch d.Field {
	case string(store.IdentEmail):
		return lrerr.New(lrerr.CodeEmailTaken)
	case string(store.IdentUsername):
		return lrerr.New(lrerr.CodeUsernameTaken)
	case string(store.IdentPhone):
		return lrerr.New(lrerr.CodePhoneTaken)
	}
	return &lrerr.Error{Code: lrerr.CodeValidation, Fields: []lrerr.FieldError{{FieldName: "Uid", ErrorMessage: "The uid is already taken."}}}
}

// findAccount serves GET /manage/account?email=…|username=…|phone=….
func (g *Gateway) findAccount(c *call) (any, error) {
	kind, value := store.IdentEmail, c.q.Get("email")
	switch {
	case value != "":
	case c.q.Get("username") != "":
		kind, value = store.IdentUsername, c.q.Get("username")
	case c.q.Get("phone", "phoneid") != "":
		kind, value = store.IdentPhone, c.q.Get("phone", "phoneid")
	default:
		return nil, lrerr.WithDescription(lrerr.CodeParameterFormat, "The email is a required parameter.")
	}
	a, found, err := g.store.AccountBy(c.r.Context(), c.tenant.Name, kind, value)
	if err != nil {
		return nil, lrerr.Unavailable(err)
	}
	if !found {
		return nil, lrerr.New(lrerr.CodeUserNotFound)
	}
	return g.accountView(c.r.Context(), &a, c)
}

// getAccount serves GET /manage/account/{uid}.
func (g *Gateway) getAccount(c *call) (any, error) {
	a, found, err := g.store.Account(c.r.Context(), c.tenant.Name, c.uid)
	if err != nil {
		return nil, lrerr.Unavailable(err)
	}
	if !found {
		return nil, lrerr.New(lrerr.CodeUserNotFound)
	}
	return g.accountView(c.r.Context(), &a, c)
}

// accountView renders a profile with its current lock state.
func (g *Gateway) accountView(ctx context.Context, a *store.Account, c *call) (any, error) {
	att, _, err := g.store.Attempts(ctx, a.Ref())
	if err != nil {
		return nil, lrerr.Unavailable(err)
	}
	return lrprofile.View(a, att, c.now), nil
}

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

// editAccountFor applies validated input to account uid, for the management
// API and the operator's Admin alike (see editAccount), and returns the
// saved account.
func (g *Gateway) editAccountFor(ctx context.Context, c *call, uid string, in *lrprofile.Input) (store.Account, error) {
	if in.UID != nil && *in.UID != uid {
		return store.Account{}, fieldError("Uid", "The Uid of an account cannot be changed.")
	}
	if in.PIN != nil {
		if e := validatePIN(c.tenant, "PINInfo.PIN", *in.PIN); e != nil {
			return store.Account{}, e
		}
	}
	answers, err := g.answerHashes(ctx, c, in)
	if err != nil {
		return store.Account{}, err
	}
	var passwordHash, pinHash string
	if in.Password != nil {
		if passwordHash, err = g.hasher.Hash(ctx, c.hashClient(), *in.Password); err != nil {
			return store.Account{}, g.hashQueueError(err)
		}
	}
	if in.PIN != nil {
		if pinHash, err = g.hasher.Hash(ctx, c.hashClient(), *in.PIN); err != nil {
			return store.Account{}, g.hashQueueError(err)
		}
	}
	ref := store.AccountRef{Tenant: c.tenant.Name, UID: uid}
	unlock := in.LoginLocked != nil && !*in.LoginLocked
	lock := in.LoginLocked != nil && *in.LoginLocked
	if in.Active != nil && *in.Active && in.LoginLocked == nil {
		// Activating an account lifts a block lock (only an operator can).
		if unlock, err = g.blockLocked(ctx, ref, c.now); err != nil {
			return store.Account{}, lrerr.Unavailable(err)
		}
	}
	var saved store.Account
	var revoked []string
	err = g.updateAccount(ctx, ref, nil, func(tx store.Tx, a *store.Account) error {
		wasActive, hadPIN := a.Active, a.PINHash != ""
		in.Apply(a)
		mergeAnswers(a, answers)
		if len(a.Emails) == 0 && a.Username == "" && a.Phone == "" {
			// Clearing the last identifier would leave an account no
			// login can reach: refuse it as create does.
			return &lrerr.Error{Code: lrerr.CodeValidation, Fields: []lrerr.FieldError{errNoIdentifier}}
		}
		revokeAll := wasActive && !a.Active
		if passwordHash != "" {
			a.PasswordHash, a.NeedsSecretReset = passwordHash, false
			revokeAll = true
		}
		var hooks []string
		if pinHash != "" {
			a.PINHash, a.PINChangedAt, a.PINSkipped = pinHash, c.now, false
			if hadPIN {
				hooks = append(hooks, webhook.ChangePIN)
			} else {
				hooks = append(hooks, webhook.SetPIN)
			}
		}
		hooks = append(hooks, webhook.UpdateProfile)
		if wasActive && !a.Active {
			// A block is a security event, as LoginRadius's Account
			// Update sends it.
			hooks = append(hooks, webhook.BlockAccount)
		}
		if revokeAll {
			ids, err := tx.RevokeSessions(ref, "", c.now)
			if err != nil {
				return err
			}
			revoked = ids
		}
		if revokeAll || pinHash != "" {
			if _, err := tx.DeleteTokens(ref, []store.TokenKind{store.TokenPINSession, store.TokenPINAuth}, ""); err != nil {
				return err
			}
		}
		if unlock {
			if err := tx.ClearAttempts(ref); err != nil {
				return err
			}
		}
		if lock {
			// An operator's lock: a block until an operator lifts it
			// (IsLoginLocked false, or IsActive true), which, like a
			// lockout, stops the account's PIN session tokens. It
			// replaces a lockout in force (which would end on its own).
			if err := tx.ClearAttempts(ref); err != nil {
				return err
			}
			locked, err := tx.Lock(ref, 0, store.LockBlock, farFuture, c.now)
			if err != nil {
				return err
			}
			if locked {
				if _, err := tx.InvalidateTokens(ref, []store.TokenKind{store.TokenPINSession}, "", c.now); err != nil {
					return err
				}
				hooks = append(hooks, webhook.BlockAccount)
			}
		}
		for _, h := range hooks {
			if err := g.emit(tx, c, h, a); err != nil {
				return err
			}
		}
		return nil
	}, func(_ store.Tx, a *store.Account) error {
		saved = *a
		return nil
	})
	if err != nil {
		return store.Account{}, duplicateError(err)
	}
	g.cache.revokeSessions(revoked, c.now, g.cfg.AccessTTL)
	return saved, nil
}

// deleteAccount serves DELETE /manage/account/{uid}. Its sessions are
// revoked first so cached access tokens stop at once.
func (g *Gateway) deleteAccount(c *call) (any, error) {
	if err := g.deleteAccountFor(c.r.Context(), c, c.uid); err != nil {
		return nil, err
	}
	return isDeleted, nil
}

// deleteAccountFor deletes account uid with its sessions and tokens, for
// the management API and the operator's Admin.
func (g *Gateway) deleteAccountFor(ctx context.Context, c *call, uid string) error {
	ref := store.AccountRef{Tenant: c.tenant.Name, UID: uid}
	var revoked []string
	err := g.store.Update(ctx, func(tx store.Tx) error {
		a, found, err := tx.Account(ref.Tenant, ref.UID)
		if err != nil {
			return err
		}
		if !found {
			return lrerr.New(lrerr.CodeUserNotFound)
		}
		if revoked, err = tx.RevokeSessions(ref, "", c.now); err != nil {
			return err
		}
		if err := g.emit(tx, c, webhook.DeleteAccount, &a); err != nil {
			return err
		}
		_, err = tx.DeleteAccount(ref.Tenant, ref.UID)
		return err
	})
	if err != nil {
		return lrerr.As(err)
	}
	g.cache.revokeSessions(revoked, c.now, g.cfg.AccessTTL)
	g.cache.invalidateAccount(ref.Tenant, ref.UID)
	return nil
}

// answerHashes hashes the security answers a body gives ({questionId:
// answer}, each a question of the tenant), nil when it gives none.
func (g *Gateway) answerHashes(ctx context.Context, c *call, in *lrprofile.Input) (map[string]string, error) {
	if in.Answers == nil {
		return nil, nil
	}
	items := make([]answerItem, 0, len(in.Answers))
	for _, qid := range slices.Sorted(maps.Keys(in.Answers)) {
		items = append(items, answerItem{QuestionID: qid, Answer: in.Answers[qid]})
	}
	return g.newAnswerSet(ctx, c, items)
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

// newUID returns a new account uid: 32 lowercase hex digits, as LoginRadius
// formats Uid.
func newUID() string { return secret.Hex(16) }
