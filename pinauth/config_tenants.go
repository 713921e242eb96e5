package pinauth

import (
	"errors"
	"fmt"
	"slices"
)

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
	return nil
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
