package pinauth

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// Admin performs an operator's actions on accounts without HTTP: the
// `caddy pinauth user …` commands use it, and the management API
// (/manage/account) runs the same code. Hashing and the pepper, the
// tenant's PIN policy, session revocation, cache invalidation and webhook
// events are therefore the same whichever way an operator acts. Get one
// from Gateway.Admin. Errors are *Error values of the LoginRadius
// catalogue: 938 for an unknown account, 1134 (with Fields) or 936 for
// rejected input, 503 for a store fault.
type Admin struct {
	g *Gateway
}

// Admin returns the operator API of g.
func (g *Gateway) Admin() *Admin { return &Admin{g: g} }

// AccountInput is a change to an account. Nil fields are left as they are;
// on creation Password is required and one of Emails, Username or Phone.
type AccountInput struct {
	// Emails replaces the account's addresses when not nil; a Type left
	// empty becomes Primary.
	Emails []store.Email
	// Username and Phone replace the identifiers ("" clears one).
	Username *string
	Phone    *string
	// Password sets the password (6 to 128 characters) and revokes every
	// session of the account.
	Password *string
	// PIN sets the PIN under the tenant's policy and revokes the account's
	// PIN session tokens.
	PIN *string
	// Roles replaces the roles when not nil (an empty slice removes all).
	Roles []string
	// Active false blocks the account and revokes its sessions; true
	// unblocks it (and lifts a lock of type block).
	Active *bool
	// EmailVerified sets the verified flag.
	EmailVerified *bool
	// LoginLocked false lifts any lock and clears the failure count.
	LoginLocked *bool
	// Profile sets other LoginRadius profile fields (FirstName,
	// CustomFields, …) to the JSON values given; a JSON null removes one.
	Profile map[string]json.RawMessage
}

// AccountInfo is what an operator sees of an account: the profile as the
// management API returns it (no secret in it) and the facts about secrets
// and locks that the profile does not carry.
type AccountInfo struct {
	// Profile is the LoginRadius-shaped profile (Uid, Email, Roles,
	// IsActive, IsLoginLocked, LoginLockedType, PIN, CustomFields, …).
	Profile map[string]any
	// HasPassword and HasPIN report whether the secrets are set (never
	// what they are).
	HasPassword bool
	HasPIN      bool
	// NeedsSecretReset marks an imported account that must set its
	// secrets through a reset flow before it can log in.
	NeedsSecretReset bool
	// Failures is the stored count of failed credential checks (it starts
	// afresh once the lockout window has passed).
	Failures int
	// Lock is the account's lock state (zero when it has none).
	Lock store.Attempts
}

// CreateAccount creates an account in tenant ("" for the only tenant) and
// records the Register event.
func (a *Admin) CreateAccount(ctx context.Context, tenant string, in AccountInput) (AccountInfo, error) {
	c, err := a.call(tenant)
	if err != nil {
		return AccountInfo{}, err
	}
	ai, e := in.internal()
	if e != nil {
		return AccountInfo{}, e
	}
	acc, err := a.g.createAccountFor(ctx, c, ai)
	if err != nil {
		return AccountInfo{}, err
	}
	return accountInfo(&acc, store.Attempts{}, c.now), nil
}

// UpdateAccount applies in to account uid of tenant, exactly as PUT
// /manage/account/{uid} does.
func (a *Admin) UpdateAccount(ctx context.Context, tenant, uid string, in AccountInput) (AccountInfo, error) {
	c, err := a.call(tenant)
	if err != nil {
		return AccountInfo{}, err
	}
	ai, e := in.internal()
	if e != nil {
		return AccountInfo{}, e
	}
	saved, err := a.g.editAccountFor(ctx, c, uid, ai)
	if err != nil {
		return AccountInfo{}, err
	}
	return a.info(ctx, &saved, c)
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
	c, err := a.call(tenant)
	if err != nil {
		return err
	}
	return a.g.deleteAccountFor(ctx, c, uid)
}

// Find returns the account of tenant named by ref (see FindAccount).
func (a *Admin) Find(ctx context.Context, tenant, ref string) (AccountInfo, error) {
	t, err := a.g.tenantByName(tenant)
	if err != nil {
		return AccountInfo{}, err
	}
	return FindAccount(ctx, a.g.store, t.Name, ref, a.g.now())
}

// TenantNames returns the configured tenants, in configuration order.
func (a *Admin) TenantNames() []string {
	names := make([]string, len(a.g.cfg.Tenants))
	for i, t := range a.g.cfg.Tenants {
		names[i] = t.Name
	}
	return names
}

// call returns the acting context of an operator's action on tenant.
func (a *Admin) call(tenant string) (*call, error) {
	t, err := a.g.tenantByName(tenant)
	if err != nil {
		return nil, err
	}
	return &call{tenant: t, now: a.g.now()}, nil
}

// info renders an account with its current lock state.
func (a *Admin) info(ctx context.Context, acc *store.Account, c *call) (AccountInfo, error) {
	att, _, err := a.g.store.Attempts(ctx, acc.Ref())
	if err != nil {
		return AccountInfo{}, lrerr.Unavailable(err)
	}
	return accountInfo(acc, att, c.now), nil
}

// ErrUnknownTenant is returned for a tenant name the configuration does not
// have, or for "" when it has several.
var ErrUnknownTenant = fmt.Errorf("pinauth: unknown tenant")

// tenantByName returns the named tenant; "" names the only one.
func (g *Gateway) tenantByName(name string) (*Tenant, error) {
	if name == "" {
		if len(g.cfg.Tenants) == 1 {
			return &g.cfg.Tenants[0], nil
		}
		return nil, fmt.Errorf("%w: the configuration has %d tenants; name one", ErrUnknownTenant, len(g.cfg.Tenants))
	}
	for i := range g.cfg.Tenants {
		if g.cfg.Tenants[i].Name == name {
			return &g.cfg.Tenants[i], nil
		}
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownTenant, name)
}

// internal converts an operator's input to the management API's form and
// validates it the same way.
func (in AccountInput) internal() (*lrprofile.Input, *lrerr.Error) {
	ai := &lrprofile.Input{
		Emails: append([]store.Email(nil), in.Emails...), HasEmails: in.Emails != nil,
		Username: in.Username, Phone: in.Phone, Password: in.Password, PIN: in.PIN,
		Roles: in.Roles, HasRoles: in.Roles != nil,
		Active: in.Active, EmailVerified: in.EmailVerified, LoginLocked: in.LoginLocked,
		Extra: map[string]json.RawMessage{},
	}
	var fields []lrerr.FieldError
	for k, v := range in.Profile {
		lk := apireq.FoldKey(k)
		if lrprofile.IsSecretKey(lk) || lrprofile.IsModelledKey(lk) {
			fields = append(fields, lrerr.FieldError{FieldName: k, ErrorMessage: "This field is not a free profile field."})
			continue
		}
		if !json.Valid(v) {
			fields = append(fields, lrerr.FieldError{FieldName: k, ErrorMessage: "The value is not valid JSON."})
			continue
		}
		name, ok := lrprofile.CheckField(k, v)
		if !ok {
			fields = append(fields, lrerr.FieldError{FieldName: k, ErrorMessage: "The value has the wrong type."})
			continue
		}
		ai.SetExtra(k, name, v)
	}
	if fields != nil {
		return nil, &lrerr.Error{Code: lrerr.CodeValidation, Fields: fields}
	}
	if e := ai.Validate(); e != nil {
		return nil, e
	}
	return ai, nil
}
