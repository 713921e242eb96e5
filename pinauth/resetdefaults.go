package pinauth

import (
	"fmt"

	"github.com/pinauth/caddy-pinauth/pinauth/notify"
	"github.com/pinauth/caddy-pinauth/pinauth/recovery"
)

// The PIN reset defaults.
const (
	DefaultResetTokenTTL = recovery.DefaultResetTokenTTL
	DefaultOTPTTL        = recovery.DefaultOTPTTL
)

// The Tenant.PINResetEmail and Tenant.PasswordResetEmail values.
const (
	PINResetByLink = recovery.ByLink
	PINResetByOTP  = recovery.ByOTP
)

// resetDefaults applies the PIN reset defaults of c and checks them.
// Errors never contain the SMTP password or the SMS credentials.
func (c *Config) resetDefaults() error {
	setDefault(&c.ResetTokenTTL, DefaultResetTokenTTL)
	setDefault(&c.OTPTTL, DefaultOTPTTL)
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
	}
	return nil
}

// notifyOptions are the notifier's settings in the configuration.
func (g *Gateway) notifyOptions() notify.Options {
	o := notify.Options{Email: g.cfg.Email, SMS: g.cfg.SMS, Templates: g.cfg.MessageTemplates,
		Tenants: make([]notify.TenantTemplates, len(g.cfg.Tenants))}
	for i, t := range g.cfg.Tenants {
		o.Tenants[i] = notify.TenantTemplates{Name: t.Name, Dir: t.MessageTemplates, Aliases: t.TemplateAliases}
	}
	return o
}
