// Package operator is the operator's side of the gateway and the account
// API: the management API (/manage/account, called by an operator's back
// end with the API secret), the caller's own profile (/auth/account), and
// the Admin that the `caddy pinauth user …` commands use, which runs the
// same account writes without HTTP. It also holds the read-only account
// look-ups that need only a store. What only the core has (tenants and
// their PIN policy, hashing, webhook events, the caches) it gets through
// Core and Act.
package operator

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/lrimport"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// Core is what the account API and Admin need from the gateway: the
// acting side of an action, its tenants, its store, and the cache upkeep
// of account writes.
type Core interface {
	// Act returns the acting side of an operator's action on the named
	// tenant ("" names the only one) at the gateway's current time: no
	// request, so every event is recorded. An unknown name is an error
	// wrapping ErrUnknownTenant.
	Act(tenant string) (Act, error)
	// TenantNames returns the configured tenants, in configuration order.
	TenantNames() []string
	// Store returns the gateway's store.
	Store() store.Store
	// UpdateAccount runs one transaction that re-reads account ref,
	// applies change, saves it and runs after with the saved account. A
	// lost optimistic-concurrency race retries it all; a missing account
	// is 938. The account's cached state is forgotten afterwards.
	UpdateAccount(ctx context.Context, ref store.AccountRef, change, after func(store.Tx, *store.Account) error) error
	// SessionsRevoked makes the access tokens of sessions revoked at now
	// stop at once.
	SessionsRevoked(ids []string, now time.Time)
	// AccountChanged forgets the cached state of an account written
	// outside UpdateAccount.
	AccountChanged(tenant, uid string)
}

// ErrUnknownTenant is returned for a tenant name the configuration does not
// have, or for "" when it has several.
var ErrUnknownTenant = errors.New("pinauth: unknown tenant")

// Admin performs an operator's actions on accounts without HTTP: the
// `caddy pinauth user …` commands use it, and the management API
// (/manage/account) runs the same code. Hashing and the pepper, the
// tenant's PIN policy, session revocation, cache invalidation and webhook
// events are therefore the same whichever way an operator acts. Get one
// from Gateway.Admin. Errors are *lrerr.Error values of the LoginRadius
// catalogue: 938 for an unknown account, 1134 (with Fields) or 936 for
// rejected input, 503 for a store fault.
type Admin struct {
	core Core
}

// New returns the operator API over core.
func New(core Core) *Admin { return &Admin{core: core} }

// CreateAccount creates an account in tenant ("" for the only tenant) and
// records the Register event.
func (a *Admin) CreateAccount(ctx context.Context, tenant string, in AccountInput) (AccountInfo, error) {
	act, err := a.core.Act(tenant)
	if err != nil {
		return AccountInfo{}, err
	}
	pi, e := in.profileInput()
	if e != nil {
		return AccountInfo{}, e
	}
	acc, err := createAccount(ctx, a.core, act, pi)
	if err != nil {
		return AccountInfo{}, err
	}
	return accountInfo(&acc, store.Attempts{}, act.Now()), nil
}

// UpdateAccount applies in to account uid of tenant, exactly as PUT
// /manage/account/{uid} does.
func (a *Admin) UpdateAccount(ctx context.Context, tenant, uid string, in AccountInput) (AccountInfo, error) {
	act, err := a.core.Act(tenant)
	if err != nil {
		return AccountInfo{}, err
	}
	pi, e := in.profileInput()
	if e != nil {
		return AccountInfo{}, e
	}
	saved, err := editAccount(ctx, a.core, act, uid, pi)
	if err != nil {
		return AccountInfo{}, err
	}
	att, _, err := a.core.Store().Attempts(ctx, saved.Ref())
	if err != nil {
		return AccountInfo{}, lrerr.Unavailable(err)
	}
	return accountInfo(&saved, att, act.Now()), nil
}

// Unlock clears the account's failure count and lifts any lock, and
// unblocks a blocked account: the management API's IsLoginLocked false
// together with IsActive true.
func (a *Admin) Unlock(ctx context.Context, tenant, uid string) (AccountInfo, error) {
	f, t := false, true
	return a.UpdateAccount(ctx, tenant, uid, AccountInput{LoginLocked: &f, Active: &t})
}

// Block blocks the account (IsActive false): its sessions are revoked and
// it cannot log in until unblocked.
func (a *Admin) Block(ctx context.Context, tenant, uid string) (AccountInfo, error) {
	f := false
	return a.UpdateAccount(ctx, tenant, uid, AccountInput{Active: &f})
}

// SetPIN sets the account's PIN under the tenant's policy.
func (a *Admin) SetPIN(ctx context.Context, tenant, uid, pin string) (AccountInfo, error) {
	return a.UpdateAccount(ctx, tenant, uid, AccountInput{PIN: &pin})
}

// SetPassword sets the account's password; it also ends the need for a
// secret reset of an imported account.
func (a *Admin) SetPassword(ctx context.Context, tenant, uid, password string) (AccountInfo, error) {
	return a.UpdateAccount(ctx, tenant, uid, AccountInput{Password: &password})
}

// DeleteAccount deletes the account with its sessions and tokens and
// records the DeleteAccount event.
func (a *Admin) DeleteAccount(ctx context.Context, tenant, uid string) error {
	act, err := a.core.Act(tenant)
	if err != nil {
		return err
	}
	return deleteAccount(ctx, a.core, act, uid)
}

// Find returns the account of tenant named by ref (see FindAccount).
func (a *Admin) Find(ctx context.Context, tenant, ref string) (AccountInfo, error) {
	act, err := a.core.Act(tenant)
	if err != nil {
		return AccountInfo{}, err
	}
	return FindAccount(ctx, a.core.Store(), act.Tenant(), ref, act.Now())
}

// TenantNames returns the configured tenants, in configuration order.
func (a *Admin) TenantNames() []string { return a.core.TenantNames() }

// ImportLoginRadius imports a LoginRadius profile export into tenant ("" for
// the only tenant): a JSON array of profiles, or one profile per line
// (NDJSON), read as a stream. Each record keeps its Uid, emails, username,
// phone, roles, flags, dates and every other profile field as given
// (CustomFields included). LoginRadius's password hashes cannot be
// verified here, so secrets are never imported: new accounts are marked
// NeedsSecretReset and set their password and PIN through a reset flow (or
// an operator sets them).
//
// Re-running an import is safe: a record whose Uid exists updates that
// account's emails, username, phone, roles, verified flag and profile
// fields (fields set only here are kept) or is skipped when nothing
// differs; the account's secrets, PIN, active flag, lock state and login
// history are never touched. Imports record no webhook events: they are a
// migration, not registrations. A record that cannot be imported (a
// missing Uid, an invalid field, an email another account has) is counted
// and listed; the rest go on. The returned error is for faults (the input
// is not a JSON array or stream, the store failed, ctx ended); the summary
// then tells how far the import got, and a re-run continues.
func (a *Admin) ImportLoginRadius(ctx context.Context, tenant string, r io.Reader, opts lrimport.Options) (lrimport.Summary, error) {
	act, err := a.core.Act(tenant)
	if err != nil {
		return lrimport.Summary{}, err
	}
	return lrimport.Run(ctx, r, opts, func(ctx context.Context, recs []*lrimport.Record) ([]lrimport.Result, error) {
		return writeImported(ctx, a.core, act.Tenant(), act.Now(), recs)
	})
}
