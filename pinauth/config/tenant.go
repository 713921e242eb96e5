package config

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/recovery"
	"github.com/pinauth/caddy-pinauth/pinauth/securityquestion"
)

// Tenant is one app's configuration.
type Tenant struct {
	// Name identifies the tenant; it is the JWT audience. Required.
	Name string
	// APIKeys select the tenant; several allow rotation. Required.
	APIKeys []string
	// APISecret authorizes /manage calls: at least minAPISecretLength
	// bytes, and none of the tenant's API keys (which are public). A
	// LoginRadius secret (a UUID) qualifies. Required.
	APISecret string
	// PlanExpires, when set, ends service: every call gets 6003 after it.
	PlanExpires time.Time
	// PINOptional lets accounts without a PIN log in with their password
	// alone (the Caddyfile's pin_required false). Default: false.
	PINOptional bool
	// PINMinLength and PINMaxLength bound PIN length. Default: 4 and 6.
	PINMinLength int
	PINMaxLength int
	// AllowWeakPINs accepts PINs of one repeated digit or a straight run.
	AllowWeakPINs bool
	// AllowedOrigins are where reset links and login redirects may point.
	AllowedOrigins []string
	// MFA is "security_question" to require a security answer after the
	// password, or "" for none.
	MFA string
	// SecurityQuestions are the questions users may answer, in the order
	// they are listed.
	SecurityQuestions securityquestion.Catalogue
	// ResetPINURL is where PIN reset links point when a forgot-PIN call
	// names no resetpinurl; it must be on one of AllowedOrigins.
	// Default: none (the call must name one).
	ResetPINURL string
	// DeleteAccountURL is where account deletion links point when a
	// DELETE /auth/account call names no deleteurl; it must be on one of
	// AllowedOrigins. Default: none (the call must name one).
	DeleteAccountURL string
	// PINResetEmail is PINResetByLink (forgot-PIN by email or username
	// sends a link with a reset token) or PINResetByOTP (it sends a
	// 6-digit OTP for /auth/pin/reset/otp/…). Default: PINResetByLink.
	PINResetEmail string
	// PasswordResetEmail is PINResetByLink (forgot password sends a link
	// with a reset token, for PUT /auth/password/reset with ResetToken)
	// or PINResetByOTP (it sends a 6-digit OTP, for the same call with Otp
	// and Email or UserName). Default: PINResetByLink.
	PasswordResetEmail string
	// MessageTemplates is a directory of message templates for this
	// tenant, over Config.MessageTemplates and the built-in ones.
	MessageTemplates string
	// TemplateAliases map template names that apps send in emailtemplate
	// and smstemplate (LoginRadius's template names) to this tenant's
	// template sets. A name that is neither an alias nor a set selects the
	// call's built-in set. Default: none.
	TemplateAliases map[string]string
	// TokenFormat is what clients receive as access_token: TokenFormatJWT,
	// the signed JWT itself, or TokenFormatUUID, a UUID-shaped opaque
	// handle for typed SDKs that model the token as a UUID (the protected
	// path then forwards a JWT minted for the handle upstream). Both forms
	// are accepted whatever the setting, so changing it logs nobody out.
	// Default: TokenFormatJWT.
	TokenFormat string
	// Registration is the tenant's sign-up and email verification policy
	// (issue 20). Default: off.
	Registration Registration
}

// SecurityQuestion is one question a tenant offers (package
// securityquestion holds the questions' rules).
type SecurityQuestion = securityquestion.Question

// MFASecurityQuestion is the Tenant.MFA value that requires a security
// answer after the password.
const MFASecurityQuestion = "security_question"

// CheckMFA reports an error unless method is MFASecurityQuestion, the one
// second factor (an empty Tenant.MFA means none and needs no check); the
// core's and the Caddy adapter's validators both call it.
func CheckMFA(method string) error {
	if method != MFASecurityQuestion {
		return fmt.Errorf("unknown method %q (want security_question)", method)
	}
	return nil
}

// The Tenant.PINResetEmail and Tenant.PasswordResetEmail values.
const (
	PINResetByLink = recovery.ByLink
	PINResetByOTP  = recovery.ByOTP
)

// The access-token formats a tenant may hand out (Tenant.TokenFormat).
const (
	// TokenFormatJWT hands clients the signed JWT itself.
	TokenFormatJWT = "jwt"
	// TokenFormatUUID hands clients a UUID-shaped opaque handle: the shape
	// LoginRadius's typed SDKs parse access_token into (java.util.UUID,
	// System.Guid). The gateway keeps only the handle's hash, with the
	// session it belongs to, and forwards a JWT minted for it upstream
	// (a "phantom token"), so apps behind the proxy still verify the
	// JWKS.
	TokenFormatUUID = "uuid"
)

// CheckTokenFormat reports an error unless format is TokenFormatJWT or
// TokenFormatUUID (an empty Tenant.TokenFormat means TokenFormatJWT and
// needs no check); the core's and the Caddy adapter's validators both call
// it.
func CheckTokenFormat(format string) error {
	switch format {
	case TokenFormatJWT, TokenFormatUUID:
		return nil
	}
	return fmt.Errorf("unknown value %q (want jwt or uuid)", format)
}

// tenantDefaults checks every tenant, and that no two share a name or an
// API key, and applies the tenants' defaults to a copy of c.Tenants.
func (c *Config) tenantDefaults() error {
	keyOwners := map[string]string{}
	names := map[string]bool{}
	tenants := make([]Tenant, len(c.Tenants))
	for i, t := range c.Tenants {
		if t.Name == "" {
			return errors.New("pinauth: tenant name is required")
		}
		if names[t.Name] {
			return fmt.Errorf("pinauth: tenant %q is defined twice", t.Name)
		}
		names[t.Name] = true
		if err := t.checkKeys(keyOwners); err != nil {
			return fmt.Errorf("pinauth: tenant %q: %w", t.Name, err)
		}
		if err := t.applyDefaults(); err != nil {
			return fmt.Errorf("pinauth: tenant %q: %w", t.Name, err)
		}
		tenants[i] = t
	}
	c.Tenants = tenants
	return nil
}

// checkKeys checks t's API keys and secret; keyOwners maps the keys of the
// tenants checked before to their tenant, and gets t's.
func (t Tenant) checkKeys(keyOwners map[string]string) error {
	if len(t.APIKeys) == 0 {
		return errors.New("api_key is required")
	}
	for _, k := range t.APIKeys {
		if k == "" {
			return errors.New("api_key is empty")
		}
		if other, dup := keyOwners[k]; dup {
			return fmt.Errorf("an api_key is also used by tenant %q", other)
		}
		keyOwners[k] = t.Name
	}
	if t.APISecret == "" {
		return errors.New("api_secret is required")
	}
	if len(t.APISecret) < minAPISecretLength {
		return fmt.Errorf("api_secret is shorter than %d bytes", minAPISecretLength)
	}
	if slices.Contains(t.APIKeys, t.APISecret) {
		// The key travels in every browser's requests: a secret equal
		// to it is no secret.
		return errors.New("api_secret equals an api_key")
	}
	return nil
}

// applyDefaults defaults and checks t's PIN lengths, MFA and token format.
func (t *Tenant) applyDefaults() error {
	if t.PINMinLength == 0 {
		t.PINMinLength = 4
	}
	if t.PINMaxLength == 0 {
		t.PINMaxLength = max(6, t.PINMinLength)
	}
	if t.PINMinLength < 4 || t.PINMaxLength > 16 || t.PINMinLength > t.PINMaxLength {
		return errors.New("pin_length must satisfy 4 <= min <= max <= 16")
	}
	if t.MFA != "" {
		if err := CheckMFA(t.MFA); err != nil {
			return fmt.Errorf("mfa: %w", err)
		}
	}
	if t.TokenFormat == "" {
		t.TokenFormat = TokenFormatJWT
	}
	if err := CheckTokenFormat(t.TokenFormat); err != nil {
		return fmt.Errorf("token_format: %w", err)
	}
	if err := t.Registration.applyDefaults(); err != nil {
		return fmt.Errorf("registration: %w", err)
	}
	return nil
}

// tenantNames lists the names of c.Tenants, in order.
func (c *Config) tenantNames() []string {
	names := make([]string, len(c.Tenants))
	for i, t := range c.Tenants {
		names[i] = t.Name
	}
	return names
}

// validateAcceptTenants checks that AcceptTenants names configured tenants,
// including the login page's: a page whose logins the gate then refused
// would send every browser round in a loop.
func (c *Config) validateAcceptTenants() error {
	for _, name := range c.AcceptTenants {
		if !slices.ContainsFunc(c.Tenants, func(t Tenant) bool { return t.Name == name }) {
			return fmt.Errorf("pinauth: accept_tenants: tenant %q is not configured", name)
		}
	}
	if c.LoginPage != nil && len(c.AcceptTenants) > 0 && !slices.Contains(c.AcceptTenants, c.LoginPage.Tenant) {
		return fmt.Errorf("pinauth: accept_tenants: the login page's tenant %q must be accepted", c.LoginPage.Tenant)
	}
	return nil
}
