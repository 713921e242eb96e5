package config

import (
	"fmt"
	"strings"

	"github.com/pinauth/caddy-pinauth/pinauth/notify"
	"github.com/pinauth/caddy-pinauth/pinauth/recovery"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// The PIN reset defaults.
const (
	DefaultResetTokenTTL = recovery.DefaultResetTokenTTL
	DefaultOTPTTL        = recovery.DefaultOTPTTL
	// DefaultDeleteTokenTTL is the lifetime of an account deletion link.
	DefaultDeleteTokenTTL = recovery.DefaultDeleteTokenTTL
)

// resetDefaults applies the PIN reset defaults of c and checks them.
// Errors never contain the SMTP password or the SMS credentials.
func (c *Config) resetDefaults() error {
	setDefault(&c.ResetTokenTTL, DefaultResetTokenTTL)
	setDefault(&c.OTPTTL, DefaultOTPTTL)
	setDefault(&c.DeleteTokenTTL, DefaultDeleteTokenTTL)
	if e := c.Email; e != nil {
		ec, err := e.WithDefaults()
		if err != nil {
			return fmt.Errorf("pinauth: email: %w", err)
		}
		c.Email = &ec
	}
	if s := c.SMS; s != nil {
		sc, err := s.WithDefaults()
		if err != nil {
			return fmt.Errorf("pinauth: sms: %w", err)
		}
		c.SMS = &sc
	}
	for i := range c.Tenants {
		t := &c.Tenants[i]
		for _, f := range []struct {
			name  string
			value *string
		}{{"pin_reset_email", &t.PINResetEmail}, {"password_reset_email", &t.PasswordResetEmail}} {
			if *f.value == "" {
				*f.value = PINResetByLink
			}
			if err := recovery.CheckMode(*f.value); err != nil {
				return fmt.Errorf("pinauth: tenant %q: %s: %w", t.Name, f.name, err)
			}
		}
		if t.ResetPINURL != "" {
			if _, err := notify.LinkBase(t.AllowedOrigins, t.ResetPINURL); err != nil {
				return fmt.Errorf("pinauth: tenant %q: reset_pin_url must be an http(s) URL on one of the allowed_origins", t.Name)
			}
		}
		if t.DeleteAccountURL != "" {
			if _, err := notify.LinkBase(t.AllowedOrigins, t.DeleteAccountURL); err != nil {
				return fmt.Errorf("pinauth: tenant %q: delete_account_url must be an http(s) URL on one of the allowed_origins", t.Name)
			}
		}
	}
	return nil
}

// loginPageDefaults defaults and checks the login page, if any, against
// the tenants and the paths the gateway serves itself.
func (c *Config) loginPageDefaults() error {
	if c.LoginPage == nil {
		return nil
	}
	lp, err := c.LoginPage.WithDefaults(c.tenantNames(), func(p string) bool {
		return c.UnderAPIPrefix(p) || p == JWKSPath
	})
	if err != nil {
		return err
	}
	c.LoginPage = &lp
	return nil
}

// webhookDefaults checks c.Webhooks against the tenants, replaces them
// with a copy with defaults applied, and fills the dispatcher's defaults.
// Errors name the webhook by its position and tenant, never by its URL
// (which may carry a token) or secret.
func (c *Config) webhookDefaults() error {
	hooks, err := webhook.Validate(c.Webhooks, c.tenantNames())
	if err != nil {
		return fmt.Errorf("pinauth: %w", err)
	}
	c.Webhooks = hooks
	setDefault(&c.WebhookPollInterval, webhook.DefaultPollInterval)
	setDefault(&c.WebhookRetention, webhook.DefaultRetention)
	return nil
}

// authRequestDefaults checks the auth-request path: an absolute path
// that the gateway serves nothing else at.
func (c *Config) authRequestDefaults() error {
	p := c.AuthRequestPath
	switch {
	case p == "":
		return nil
	case !strings.HasPrefix(p, "/") || p == "/" || strings.ContainsAny(p, "?#%\\ ") || strings.Contains(p, "//"):
		return fmt.Errorf("pinauth: auth_request: %q must be an absolute path other than /, without ?, #, %%, \\ or //", p)
	case c.UnderAPIPrefix(p) || p == JWKSPath:
		return fmt.Errorf("pinauth: auth_request: %q is served by the API or the JWKS", p)
	case c.LoginPage != nil && (p == c.LoginPage.Path || strings.HasPrefix(p, c.LoginPage.Path+"/")):
		return fmt.Errorf("pinauth: auth_request: %q is served by the login page", p)
	}
	return nil
}
