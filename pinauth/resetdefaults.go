package pinauth

import "fmt"

// resetDefaults applies the PIN reset defaults of c and checks them.
// Errors never contain the SMTP password or the SMS credentials.
func (c *Config) resetDefaults() error {
	setDefault(&c.ResetTokenTTL, DefaultResetTokenTTL)
	setDefault(&c.OTPTTL, DefaultOTPTTL)
	if e := c.Email; e != nil {
		ec := *e
		if err := ec.withDefaults(); err != nil {
			return fmt.Errorf("pinauth: email: %w", err)
		}
		c.Email = &ec
	}
	if s := c.SMS; s != nil {
		sc := *s
		if err := sc.withDefaults(); err != nil {
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
			switch *f.value {
			case "":
				*f.value = PINResetByLink
			case PINResetByLink, PINResetByOTP:
			default:
				return fmt.Errorf("pinauth: tenant %q: %s must be link or otp", t.Name, f.name)
			}
		}
		if t.ResetPINURL != "" {
			if _, err := resetLinkBase(t.AllowedOrigins, t.ResetPINURL); err != nil {
				return fmt.Errorf("pinauth: tenant %q: reset_pin_url must be an http(s) URL on one of the allowed_origins", t.Name)
			}
		}
	}
	return nil
}
