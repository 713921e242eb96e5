package operator

import (
	"strconv"
	"strings"
	"unicode"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// Registration is a tenant's sign-up policy, as Register applies it.
type Registration struct {
	// Invited reports whether an address (canonical) may sign up.
	Invited func(email string) bool
	// RequiredFields are profile fields a sign-up must give, by
	// LoginRadius's names, matched without case.
	RequiredFields []string
	// PasswordMinLength and PasswordClasses are the password policy: the
	// shortest password and how many character classes (lower, upper,
	// digit, other) it mixes.
	PasswordMinLength, PasswordClasses int
	// Gate runs once the body is read and checked, before anything is
	// hashed or written: the captcha (its answer is in the body).
	Gate func() error
}

// captchaFields are the body fields of a captcha answer: read by the
// captcha gate, never stored in the profile.
var captchaFields = []string{"g-recaptcha-response", "recaptcha_response_field", "recaptcha_challenge_field",
	"qq_captcha_ticket", "qq_captcha_randstr"}

// Register serves the sign-up (POST /auth/register and its captcha
// variant; the core checks that the tenant serves it): a LoginRadius
// profile with Email (the first address, or the one of Type Primary, is
// the account's; further ones wait in UnverifiedEmail), Password (hashed,
// within the tenant's policy), PINInfo.PIN (optional: a first PIN, by the
// PIN policy; without one, PINInfo.Skipped true is recorded with its date
// for the profile's PINInfo, and the first login still has a PIN set, the
// gateway's PIN being mandatory) and any profile field. What only an
// operator sets (Roles, IsActive, EmailVerified, IsLoginLocked, Uid) is
// refused with 1134. The account is created active with EmailVerified
// false, Register recorded. The secrets are hashed before the store is asked, so an address that
// is taken (936, as LoginRadius answers) costs what a new one does.
func (api *API) Register(r Request, p Registration) (store.Account, error) {
	in, e := lrprofile.ParseInput(r.HTTP)
	if e != nil {
		return store.Account{}, e
	}
	for k := range in.Extra {
		for _, f := range captchaFields {
			if strings.EqualFold(k, f) {
				delete(in.Extra, k)
			}
		}
	}
	if in.PIN != nil && *in.PIN == "" {
		in.PIN = nil // LoginRadius's PINInfo {"PIN": "", "Skipped": true}
	}
	if e := checkRegistration(in, p); e != nil {
		return store.Account{}, e
	}
	if p.Gate != nil {
		if err := p.Gate(); err != nil {
			return store.Account{}, err
		}
	}
	h, err := hashInput(r.HTTP.Context(), r.Act, in)
	if err != nil {
		return store.Account{}, err
	}
	now := r.Act.Now()
	a := store.Account{Tenant: r.Act.Tenant(), UID: newUID(), Active: true, CreatedAt: now, ModifiedAt: now,
		SecurityAnswers: h.answers}
	in.Apply(&a)
	primary := primaryIndex(a.Emails)
	for i, em := range a.Emails {
		if i != primary {
			a.UnverifiedEmails = append(a.UnverifiedEmails, em)
		}
	}
	a.Emails = []store.Email{a.Emails[primary]}
	a.EmailVerified = false
	a.PasswordHash = h.passwordHash
	if in.PIN != nil {
		a.PINHash, a.PINChangedAt = h.pinHash, now
	} else if in.PINSkipped {
		a.PINSkipped, a.PINSkippedAt = true, now
	}
	err = api.core.Store().Update(r.HTTP.Context(), func(tx store.Tx) error {
		if err := tx.CreateAccount(a); err != nil {
			return err
		}
		a.Version = 1
		return r.Act.Emit(tx, webhook.Register, &a)
	})
	if err != nil {
		return store.Account{}, duplicateError(err)
	}
	return a, nil
}

// primaryIndex is the index of the first email of Type Primary, else 0.
func primaryIndex(emails []store.Email) int {
	for i, e := range emails {
		if strings.EqualFold(e.Type, "Primary") {
			return i
		}
	}
	return 0
}

// checkRegistration checks a sign-up's body against the policy: 1134
// naming every field at fault.
func checkRegistration(in *lrprofile.Input, p Registration) *lrerr.Error {
	var fields []lrerr.FieldError
	bad := func(f, msg string) { fields = append(fields, lrerr.FieldError{FieldName: f, ErrorMessage: msg}) }
	byOperator := " is set by the site, not at sign-up."
	switch {
	case len(in.Emails) == 0:
		bad("Email", "An Email is required.")
	case p.Invited != nil && !p.Invited(in.Emails[primaryIndex(in.Emails)].Value):
		bad("Email", "Sign-up is by invitation on this site, and this address is not invited.")
	}
	if in.Password == nil || *in.Password == "" {
		bad("Password", "The Password is required.")
	} else if !PasswordPolicyOK(*in.Password, p.PasswordMinLength, p.PasswordClasses) {
		bad("Password", PasswordPolicyMessage(p.PasswordMinLength, p.PasswordClasses))
	}
	for _, f := range []struct {
		name string
		set  bool
	}{{"Roles", in.HasRoles}, {"IsActive", in.Active != nil}, {"EmailVerified", in.EmailVerified != nil},
		{"IsLoginLocked", in.LoginLocked != nil}, {"Uid", in.UID != nil}} {
		if f.set {
			bad(f.name, f.name+byOperator)
		}
	}
	for _, req := range p.RequiredFields {
		if !hasField(in, req) {
			bad(req, "The "+req+" is required.")
		}
	}
	if fields != nil {
		return &lrerr.Error{Code: lrerr.CodeValidation, Fields: fields}
	}
	return nil
}

// hasField reports whether the input gives a non-empty value of the
// profile field name (matched without case).
func hasField(in *lrprofile.Input, name string) bool {
	switch apireq.FoldKey(name) {
	case "email":
		return len(in.Emails) > 0
	case "username":
		return in.Username != nil && *in.Username != ""
	case "phoneid", "phone":
		return in.Phone != nil && *in.Phone != ""
	case "password":
		return in.Password != nil
	}
	for k, v := range in.Extra {
		if apireq.FoldKey(k) == apireq.FoldKey(name) {
			s := strings.TrimSpace(string(v))
			return s != "" && s != "null" && s != `""` && s != "[]" && s != "{}"
		}
	}
	return false
}

// PasswordPolicyOK reports whether pw has at least minLength bytes (and
// the gateway's bounds, 6 to 128) and mixes at least classes of the four
// character classes: lower case, upper case, digits, anything else.
func PasswordPolicyOK(pw string, minLength, classes int) bool {
	if !lrprofile.PasswordLengthOK(pw) || len(pw) < minLength {
		return false
	}
	var lower, upper, digit, other int
	for _, r := range pw {
		switch {
		case unicode.IsLower(r):
			lower = 1
		case unicode.IsUpper(r):
			upper = 1
		case unicode.IsDigit(r):
			digit = 1
		default:
			other = 1
		}
	}
	return lower+upper+digit+other >= classes
}

// PasswordPolicyMessage is the field error of a password outside the
// policy.
func PasswordPolicyMessage(minLength, classes int) string {
	msg := "The password must have " + strconv.Itoa(max(minLength, 6)) + " to 128 characters"
	if classes > 1 {
		msg += " and mix at least " + strconv.Itoa(classes) + " of: lower case, upper case, digits, other characters"
	}
	return msg + "."
}
