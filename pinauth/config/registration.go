package config

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pinauth/caddy-pinauth/pinauth/recovery"
)

// The Registration.Mode values.
const (
	// RegistrationOff serves no sign-up: POST and PUT /auth/register
	// answer 1144 (the resource is disabled). The default.
	RegistrationOff = "off"
	// RegistrationOpen lets anyone sign up.
	RegistrationOpen = "open"
	// RegistrationInviteOnly lets an address sign up only when Invite
	// lists it, or its domain: the operator decides who may have an
	// account, the addresses still prove themselves by verification.
	RegistrationInviteOnly = "invite_only"
)

// Registration is a tenant's sign-up policy (POST /auth/register and its
// captcha variant, PUT /auth/register, the email verification routes).
type Registration struct {
	// Mode is RegistrationOff, RegistrationOpen or
	// RegistrationInviteOnly. Default: RegistrationOff.
	Mode string
	// Invite lists who may sign up in RegistrationInviteOnly mode: an
	// address (alice@example.com) admits that address, a domain written
	// with its @ (@example.com) every address of exactly that domain.
	// Matched without case. Required (non-empty) in that mode only.
	Invite []string
	// RequiredFields are profile fields a sign-up must give beyond Email
	// and Password, by LoginRadius's names (FirstName, UserName, PhoneId,
	// …), matched without case.
	RequiredFields []string
	// PasswordMinLength is the shortest password a sign-up may choose,
	// 6 to 128. Default: 6 (the gateway's floor for every password).
	PasswordMinLength int
	// PasswordClasses is how many of the four character classes (lower
	// case, upper case, digits, anything else) a sign-up's password must
	// mix, 1 to 4. Default: 1.
	PasswordClasses int
	// AllowUnverified lets accounts whose emails are not verified log in
	// with their password. Default: false, the login answers 970 (email
	// not verified) once the password is right. It only applies while
	// Mode is not RegistrationOff, and to every account of the tenant
	// with an email and EmailVerified false, the management API's
	// included, as LoginRadius's mandatory verification does.
	AllowUnverified bool
	// VerificationURL is the page verification links point to when a
	// call names no verificationurl; on one of AllowedOrigins. Default:
	// none (the call must name one, 908 otherwise).
	VerificationURL string
	// VerificationEmail is recovery.ByLink (a link with a
	// verificationtoken, for GET /auth/email) or recovery.ByOTP (a
	// 6-digit code, for PUT /auth/email). Default: link.
	VerificationEmail string
	// Welcome sends the welcome email once an account's email is first
	// verified. Default: false.
	Welcome bool
}

// Enabled reports whether the tenant serves sign-up.
func (r Registration) Enabled() bool { return r.Mode != "" && r.Mode != RegistrationOff }

// Invited reports whether email (a canonical address) may sign up: any
// address in open mode, a listed address or domain in invite-only mode.
func (r Registration) Invited(email string) bool {
	if r.Mode != RegistrationInviteOnly {
		return r.Enabled()
	}
	email = strings.ToLower(email)
	at := strings.LastIndexByte(email, '@')
	for _, v := range r.Invite {
		v = strings.ToLower(v)
		if v == email || (strings.HasPrefix(v, "@") && at >= 0 && email[at:] == v) {
			return true
		}
	}
	return false
}

// Check reports what applyDefaults would refuse of r, on a copy (the
// Caddy adapter checks a parsed block with it).
func (r Registration) Check() error { return r.applyDefaults() }

// applyDefaults defaults and checks r.
func (r *Registration) applyDefaults() error {
	if r.Mode == "" {
		r.Mode = RegistrationOff
	}
	switch r.Mode {
	case RegistrationOff, RegistrationOpen:
	case RegistrationInviteOnly:
		if len(r.Invite) == 0 {
			return errors.New("invite_only needs at least one invite (an address or an @domain)")
		}
	default:
		return fmt.Errorf("unknown mode %q (want open, invite_only or off)", r.Mode)
	}
	for _, v := range r.Invite {
		if strings.Count(v, "@") != 1 || strings.HasSuffix(v, "@") || strings.ContainsAny(v, " \t\r\n,") {
			return fmt.Errorf("invite %q is neither an address nor an @domain", v)
		}
	}
	if r.PasswordMinLength == 0 {
		r.PasswordMinLength = 6
	}
	if r.PasswordMinLength < 6 || r.PasswordMinLength > 128 {
		return errors.New("password_min_length must be 6 to 128")
	}
	if r.PasswordClasses == 0 {
		r.PasswordClasses = 1
	}
	if r.PasswordClasses < 1 || r.PasswordClasses > 4 {
		return errors.New("password_classes must be 1 to 4")
	}
	if r.VerificationEmail == "" {
		r.VerificationEmail = recovery.ByLink
	}
	if err := recovery.CheckMode(r.VerificationEmail); err != nil {
		return fmt.Errorf("verification_email: %w", err)
	}
	return nil
}
