package operator

import (
	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// checkNew checks the input of a new account beyond what the profile's own
// validation does: it needs an identifier and a password, and it can set
// neither its Uid nor a lock (1134 with the fields at fault).
func checkNew(in *lrprofile.Input) *lrerr.Error {
	var fields []lrerr.FieldError
	if len(in.Emails) == 0 && (in.Username == nil || *in.Username == "") && (in.Phone == nil || *in.Phone == "") {
		fields = append(fields, noIdentifier)
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
		return &lrerr.Error{Code: lrerr.CodeValidation, Fields: fields}
	}
	return nil
}

// checkIdentified refuses an edited account left without an email, a user
// name and a phone: no login could reach it.
func checkIdentified(a *store.Account) *lrerr.Error {
	if len(a.Emails) == 0 && a.Username == "" && a.Phone == "" {
		return &lrerr.Error{Code: lrerr.CodeValidation, Fields: []lrerr.FieldError{noIdentifier}}
	}
	return nil
}

// noIdentifier is the field error of an account left without an email,
// a user name and a phone: nothing a login could find it by.
var noIdentifier = lrerr.FieldError{FieldName: "Email", ErrorMessage: "An Email, UserName or PhoneId is required."}

// lookupQuery decodes the identifier GET /manage/account looks an account
// up by: email=, else username=, else phone= (or phoneid=).
func lookupQuery(q apireq.Params) (store.IdentifierKind, string, *lrerr.Error) {
	switch {
	case q.Get("email") != "":
		return store.IdentEmail, q.Get("email"), nil
	case q.Get("username") != "":
		return store.IdentUsername, q.Get("username"), nil
	case q.Get("phone", "phoneid") != "":
		return store.IdentPhone, q.Get("phone", "phoneid"), nil
	}
	return "", "", lrerr.WithDescription(lrerr.CodeParameterFormat, "The email is a required parameter.")
}

// duplicateError maps a store duplicate to LoginRadius's code for the
// field already taken: 936 for an email, 1017 for a user name, 1058 for a
// phone (names are unique across kinds, so a user name equal to another
// account's email is 1017 too), a 1134 field error for a Uid (an import's).
// Any other error goes through lrerr.As.
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
	return lrerr.Field("Uid", "The uid is already taken.")
}
