package pinauth

import (
	"context"
	"maps"
	"slices"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/operator"
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
	if e := operator.CheckNew(in); e != nil {
		return store.Account{}, e
	}
	h, err := g.hashInput(ctx, c, in)
	if err != nil {
		return store.Account{}, err
	}
	a := store.Account{Tenant: c.tenant.Name, UID: newUID(), Active: true, CreatedAt: c.now, ModifiedAt: c.now,
		SecurityAnswers: h.answers}
	in.Apply(&a)
	a.PasswordHash = h.passwordHash
	if in.PIN != nil {
		a.PINHash, a.PINChangedAt = h.pinHash, c.now
	}
	err = g.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateAccount(a); err != nil {
			return err
		}
		a.Version = 1
		return g.emit(tx, c, webhook.Register, &a)
	})
	if err != nil {
		return store.Account{}, operator.DuplicateError(err)
	}
	return a, nil
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
func (g *Gateway) hashInput(ctx context.Context, c *call, in *lrprofile.Input) (hashedInput, error) {
	var h hashedInput
	if in.PIN != nil {
		if e := validatePIN(c.tenant, "PINInfo.PIN", *in.PIN); e != nil {
			return h, e
		}
	}
	var err error
	if h.answers, err = g.answerHashes(ctx, c, in); err != nil {
		return h, err
	}
	if in.Password != nil {
		if h.passwordHash, err = g.hasher.Hash(ctx, c.hashClient(), *in.Password); err != nil {
			return h, g.hashQueueError(err)
		}
	}
	if in.PIN != nil {
		if h.pinHash, err = g.hasher.Hash(ctx, c.hashClient(), *in.PIN); err != nil {
			return h, g.hashQueueError(err)
		}
	}
	return h, nil
}

// findAccount serves GET /manage/account?email=…|username=…|phone=….
func (g *Gateway) findAccount(c *call) (any, error) {
	kind, value, e := operator.LookupQuery(c.q)
	if e != nil {
		return nil, e
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

// newUID returns a new account uid: 32 lowercase hex digits, as LoginRadius
// formats Uid.
func newUID() string { return secret.Hex(16) }
