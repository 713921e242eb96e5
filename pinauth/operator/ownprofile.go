package operator

import (
	"slices"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// profileUpdateBody is LoginRadius's UserProfilePostResponse.
type profileUpdateBody struct {
	IsPosted bool              `json:"IsPosted"`
	Data     lrprofile.Profile `json:"Data"`
}

// OwnProfile serves GET /auth/account: the caller's profile.
func (api *API) OwnProfile(r Request) (any, error) {
	return accountView(r.HTTP.Context(), api.core.Store(), r.Account, r.Act.Now())
}

// UpdateOwnProfile serves PUT /auth/account: the caller updates profile
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
func (api *API) UpdateOwnProfile(r Request) (any, error) {
	a, act := r.Account, r.Act
	in, e := lrprofile.ParseInput(r.HTTP)
	if e != nil {
		return nil, e
	}
	ctx := r.HTTP.Context()
	locked := false
	if in.LoginLocked != nil {
		att, _, err := api.core.Store().Attempts(ctx, a.Ref())
		if err != nil {
			return nil, lrerr.Unavailable(err)
		}
		locked = att.Locked(act.Now())
	}
	if refused := ownProfileRefusals(in, a, locked); refused != nil {
		return nil, &lrerr.Error{Code: lrerr.CodeValidation, Fields: refused}
	}
	// What is left of those fields equals the account's: nothing to write.
	in.HasEmails, in.Phone, in.Password = false, nil, nil
	in.HasRoles, in.Active, in.EmailVerified, in.LoginLocked = false, nil, nil, nil
	answers, err := act.HashAnswers(ctx, in.Answers)
	if err != nil {
		return nil, err
	}
	errHasPIN := lrerr.Field("PINInfo.PIN", "A PIN is already set; change it with the current PIN instead.")
	var pinHash string
	if in.PIN != nil {
		if a.PINHash != "" {
			return nil, errHasPIN
		}
		if e := act.CheckPIN("PINInfo.PIN", *in.PIN); e != nil {
			return nil, e
		}
		if pinHash, err = act.Hash(ctx, *in.PIN); err != nil {
			return nil, err
		}
	}
	var saved store.Account
	err = api.core.UpdateAccount(ctx, a.Ref(), func(_ store.Tx, acc *store.Account) error {
		in.Apply(acc)
		mergeAnswers(acc, answers)
		if pinHash != "" {
			if acc.PINHash != "" {
				return errHasPIN
			}
			acc.PINHash, acc.PINChangedAt, acc.PINSkipped = pinHash, act.Now(), false
		}
		return nil
	}, func(tx store.Tx, acc *store.Account) error {
		saved = *acc
		if pinHash != "" {
			if err := act.Emit(tx, webhook.SetPIN, acc); err != nil {
				return err
			}
		}
		return act.Emit(tx, webhook.UpdateProfile, acc)
	})
	if err != nil {
		return nil, duplicateError(err)
	}
	view, err := accountView(ctx, api.core.Store(), &saved, act.Now())
	if err != nil {
		return nil, err
	}
	return profileUpdateBody{IsPosted: true, Data: view}, nil
}

// ownProfileRefusals lists the fields of a PUT /auth/account body that
// would change what the caller may not change with an access token (see
// UpdateOwnProfile); locked is the account's current IsLoginLocked.
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
