package operator

import (
	"encoding/json"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

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

// profileInput converts an operator's input to the management API's form
// and validates it the same way.
func (in AccountInput) profileInput() (*lrprofile.Input, *lrerr.Error) {
	pi := &lrprofile.Input{
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
		pi.SetExtra(k, name, v)
	}
	if fields != nil {
		return nil, &lrerr.Error{Code: lrerr.CodeValidation, Fields: fields}
	}
	if e := pi.Validate(); e != nil {
		return nil, e
	}
	return pi, nil
}
