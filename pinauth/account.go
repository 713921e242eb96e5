package pinauth

import (
	"slices"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/operator"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// profileUpdateBody is LoginRadius's UserProfilePostResponse.
type profileUpdateBody struct {
	IsPosted bool              `json:"IsPosted"`
	Data     lrprofile.Profile `json:"Data"`
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
// fields (FirstName, Country, Addresses, CustomFields, UserName …; unknown
// fields are kept as given) and security answers (SecurityQuestionAnswer
// {questionId: answer}, stored hashed). What only an operator or a
// dedicated flow may change is refused (1134) when the body would change
// it, and accepted when it equals the account's (a client sending back the
// profile it read): Email and PhoneId (a new one would need verification,
// and would let a stolen access token take the account over through a
// reset), Password, Roles, IsActive, EmailVerified, IsLoginLocked, Uid.
// PINInfo.PIN sets a first PIN on an account that has none (a tenant with
// pin_required false lets such accounts log in); it never overwrites a
// PIN (1134: change it with the old one instead). The answer is
// {"IsPosted": true, "Data": profile}.
func (g *Gateway) updateOwnProfile(c *call) (any, error) {
	b, a, err := g.bearerAccount(c)
	if err != nil {
		return nil, err
	}
	in, e := lrprofile.ParseInput(c.r)
	if e != nil {
		return nil, e
	}
	ctx := c.r.Context()
	locked := false
	if in.LoginLocked != nil {
		att, _, err := g.store.Attempts(ctx, b.ref())
		if err != nil {
			return nil, lrerr.Unavailable(err)
		}
		locked = att.Locked(c.now)
	}
	if refused := ownProfileRefusals(in, &a, locked); refused != nil {
		return nil, &lrerr.Error{Code: lrerr.CodeValidation, Fields: refused}
	}
	// What is left of those fields equals the account's: nothing to write.
	in.HasEmails, in.Phone, in.Password = false, nil, nil
	in.HasRoles, in.Active, in.EmailVerified, in.LoginLocked = false, nil, nil, nil
	answers, err := g.answerHashes(ctx, c, in)
	if err != nil {
		return nil, err
	}
	errHasPIN := fieldError("PINInfo.PIN", "A PIN is already set; change it with the current PIN instead.")
	var pinHash string
	if in.PIN != nil {
		if a.PINHash != "" {
			return nil, errHasPIN
		}
		if e := validatePIN(c.tenant, "PINInfo.PIN", *in.PIN); e != nil {
			return nil, e
		}
		if pinHash, err = g.hasher.Hash(ctx, c.hashClient(), *in.PIN); err != nil {
			return nil, g.hashQueueError(err)
		}
	}
	var saved store.Account
	err = g.updateAccount(ctx, b.ref(), nil, func(_ store.Tx, acc *store.Account) error {
		in.Apply(acc)
		mergeAnswers(acc, answers)
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
			if err := g.emit(tx, c, webhook.SetPIN, acc); err != nil {
				return err
			}
		}
		return g.emit(tx, c, webhook.UpdateProfile, acc)
	})
	if err != nil {
		return nil, operator.DuplicateError(err)
	}
	view, err := g.accountView(ctx, &saved, c)
	if err != nil {
		return nil, err
	}
	return profileUpdateBody{IsPosted: true, Data: view.(lrprofile.Profile)}, nil
}

// ownProfileRefusals lists the fields of a PUT /auth/account body that
// would change what the caller may not change with an access token (see
// updateOwnProfile); locked is the account's current IsLoginLocked.
func ownProfileRefusals(in *lrprofile.Input, a *store.Account, locked bool) []lrerr.FieldError {
	var refused []lrerr.FieldError
	refuse := func(field, msg string) {
		refused = append(refused, lrerr.FieldError{FieldName: field, ErrorMessage: msg})
	}
	const byOperator = " is set through the management API, not with an access token."
	if in.HasEmails && !slices.Equal(in.Emails, a.Emails) {
		refuse("Email", "The email address is changed through the management API: a new one needs verification.")
	}
	if in.Phone != nil && *in.Phone != a.Phone {
		refuse("PhoneId", "The phone number is changed through the management API: a new one needs verification.")
	}
	if in.Password != nil {
		refuse("Password", "The password is changed with the password reset (POST /auth/password).")
	}
	if in.HasRoles && !slices.Equal(in.Roles, a.Roles) {
		refuse("Roles", "Roles"+byOperator)
	}
	if in.Active != nil && *in.Active != a.Active {
		refuse("IsActive", "IsActive"+byOperator)
	}
	if in.EmailVerified != nil && *in.EmailVerified != a.EmailVerified {
		refuse("EmailVerified", "EmailVerified"+byOperator)
	}
	if in.LoginLocked != nil && *in.LoginLocked != locked {
		refuse("IsLoginLocked", "IsLoginLocked"+byOperator)
	}
	if in.UID != nil && *in.UID != a.UID {
		refuse("Uid", "The Uid of an account cannot be changed.")
	}
	return refused
}
