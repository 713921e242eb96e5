package pinauth

import (
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// profileUpdateBody is LoginRadius's UserProfilePostResponse.
type profileUpdateBody struct {
	IsPosted bool           `json:"IsPosted"`
	Data     map[string]any `json:"Data"`
}

// ownProfile serves GET /auth/account: the caller's profile.
func (g *Gateway) ownProfile(c *call) (any, error) {
	_, a, err := g.bearerAccount(c)
	if err != nil {
		return nil, err
	}
	return g.accountView(c.r.Context(), &a, c)
}

// updateOwnProfile serves PUT /auth/account: the caller updates profile
// fields (FirstName, CustomFields, …; unknown fields are kept as given).
// What only an operator or a dedicated flow may change is ignored here:
// Email, UserName, PhoneId (they need verification), Password, Roles,
// IsActive, EmailVerified and IsLoginLocked. PINInfo.PIN sets a first PIN
// on an account that has none (a tenant with pin_required false lets such
// accounts log in); it never overwrites a PIN (1134: change it with the
// old one instead). The answer is {"IsPosted": true, "Data": profile}.
func (g *Gateway) updateOwnProfile(c *call) (any, error) {
	b, a, err := g.bearerAccount(c)
	if err != nil {
		return nil, err
	}
	in, e := parseAccountInput(c.r)
	if e != nil {
		return nil, e
	}
	in.hasEmails, in.username, in.phone, in.password = false, nil, nil, nil
	in.hasRoles, in.active, in.emailVerified, in.loginLocked = false, nil, nil, nil
	errHasPIN := fieldError("PINInfo.PIN", "A PIN is already set; change it with the current PIN instead.")
	ctx := c.r.Context()
	var pinHash string
	if in.pin != nil {
		if a.PINHash != "" {
			return nil, errHasPIN
		}
		if e := validatePIN(c.tenant, "PINInfo.PIN", *in.pin); e != nil {
			return nil, e
		}
		if pinHash, err = g.hasher.hash(ctx, c.hashClient(), *in.pin); err != nil {
			return nil, g.hashQueueError(err)
		}
	}
	var saved store.Account
	err = g.updateAccount(ctx, b.ref(), nil, func(_ store.Tx, acc *store.Account) error {
		in.apply(acc)
		if pinHash != "" {
			if acc.PINHash != "" {
				return errHasPIN
			}
			acc.PINHash, acc.PINChangedAt, acc.PINSkipped = pinHash, c.now, false
		}
		return nil
	}, func(tx store.Tx, acc *store.Account) error {
		saved = *acc
		if pinHash != "" {
			if err := g.emit(tx, c, HookSetPIN, acc); err != nil {
				return err
			}
		}
		return g.emit(tx, c, HookUpdateProfile, acc)
	})
	if err != nil {
		return nil, duplicateError(err)
	}
	view, err := g.accountView(ctx, &saved, c)
	if err != nil {
		return nil, err
	}
	return profileUpdateBody{IsPosted: true, Data: view.(map[string]any)}, nil
}
