package caddymodule

import (
	"fmt"
	"strings"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/recovery"
)

// Registration is a tenant's sign-up and email verification policy
// (POST|PUT /auth/register, GET|PUT /auth/email with a verification).
type Registration struct {
	// Mode is open (anyone may sign up), invite_only (only the addresses
	// and @domains of Invite) or off (the sign-up routes answer 1144).
	// Default: off.
	Mode string `json:"mode,omitempty"`
	// Invite lists who may sign up in invite_only mode: addresses and
	// @domains. Required in that mode.
	Invite []string `json:"invite,omitempty"`
	// RequiredFields are profile fields a sign-up must give beyond Email
	// and Password (FirstName, UserName, PhoneId, …). Default: none.
	RequiredFields []string `json:"required_fields,omitempty"`
	// PasswordMinLength is the shortest password, 6 to 128. Default: 6.
	PasswordMinLength int `json:"password_min_length,omitempty"`
	// PasswordClasses is how many of lower case, upper case, digits and
	// other characters a password mixes, 1 to 4. Default: 1.
	PasswordClasses int `json:"password_classes,omitempty"`
	// AllowUnverified lets accounts whose email is not verified log in.
	// Default: false (the login answers 970).
	AllowUnverified bool `json:"allow_unverified,omitempty"`
	// VerificationURL is where verification links point when a call names
	// no verificationurl; on one of allowed_origins. Default: none.
	VerificationURL string `json:"verification_url,omitempty"`
	// VerificationEmail is link (a link with a verificationtoken) or otp
	// (a 6-digit code for PUT /auth/email). Default: link.
	VerificationEmail string `json:"verification_email,omitempty"`
	// Welcome sends the welcome email on an account's first verification.
	// Default: false.
	Welcome bool `json:"welcome_email,omitempty"`
}

// registrationLevel are the registration block's subdirectives.
var registrationLevel = []string{"invite", "required_fields", "password_min_length", "password_classes",
	"allow_unverified", "verification_url", "verification_email", "welcome_email"}

// registration parses `registration open|invite_only|off [{ … }]`.
func (p *parser) registration(t *Tenant) error {
	d := p.d
	args := d.RemainingArgs()
	if len(args) != 1 {
		return d.Err("registration: want open, invite_only or off, then an optional block")
	}
	r := &Registration{Mode: args[0]}
	switch r.Mode {
	case config.RegistrationOpen, config.RegistrationInviteOnly, config.RegistrationOff:
	default:
		return d.Errf("registration: unknown mode %q (want open, invite_only or off)", r.Mode)
	}
	sub := parser{d: d, seen: map[string]bool{}}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		if err := sub.registrationDirective(r); err != nil {
			return err
		}
	}
	if err := r.core(nil).Check(); err != nil {
		return d.Errf("registration: %v", err)
	}
	t.Registration = r
	return nil
}

// registrationDirective parses one subdirective of the registration block.
func (p *parser) registrationDirective(r *Registration) error {
	d := p.d
	name := d.Val()
	if name == "invite" || name == "required_fields" {
		args, err := p.args(name, 1, -1)
		if name == "invite" {
			r.Invite = append(r.Invite, args...)
		} else {
			r.RequiredFields = append(r.RequiredFields, args...)
		}
		return err
	}
	if p.seen[name] {
		return d.Errf("registration: %s: given more than once", name)
	}
	p.seen[name] = true
	var err error
	switch name {
	case "password_min_length", "password_classes":
		var args []string
		if args, err = p.args(name, 1, 1); err != nil {
			return err
		}
		n, err := p.positiveInt("registration: "+name, args[0])
		if name == "password_min_length" {
			r.PasswordMinLength = n
		} else {
			r.PasswordClasses = n
		}
		return err
	case "allow_unverified":
		_, err = p.args(name, 0, 0)
		r.AllowUnverified = err == nil
	case "welcome_email":
		_, err = p.args(name, 0, 0)
		r.Welcome = err == nil
	case "verification_url":
		err = p.single(name, &r.VerificationURL)
	case "verification_email":
		err = p.choice(name, &r.VerificationEmail, recovery.CheckMode)
	default:
		return d.Errf("registration: unknown subdirective (known: %s)", strings.Join(registrationLevel, ", "))
	}
	return err
}

// core converts r (nil: off) to the core's policy, expanding the
// verification URL's placeholders with x (nil: as written).
func (r *Registration) core(x *expander) config.Registration {
	if r == nil {
		return config.Registration{}
	}
	url := r.VerificationURL
	if x != nil {
		url = x.expand("registration: verification_url", url)
	}
	return config.Registration{Mode: r.Mode, Invite: r.Invite, RequiredFields: r.RequiredFields,
		PasswordMinLength: r.PasswordMinLength, PasswordClasses: r.PasswordClasses,
		AllowUnverified: r.AllowUnverified, VerificationURL: url, VerificationEmail: r.VerificationEmail,
		Welcome: r.Welcome}
}

// validate checks r as the core will.
func (r *Registration) validate() error {
	if r == nil {
		return nil
	}
	if err := r.core(nil).Check(); err != nil {
		return fmt.Errorf("registration: %w", err)
	}
	return nil
}
