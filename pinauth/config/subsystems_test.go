package config

import (
	"strings"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/loginpage"
	"github.com/pinauth/caddy-pinauth/pinauth/notify"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

func TestResetConfigErrorsNameTheFieldButNeverTheSecrets(t *testing.T) {
	t.Parallel()
	const pass, token = "smtp-pass-8c1e", "sms-token-47aa"
	email := func(mut func(*notify.EmailConfig)) func(*Config) {
		return func(c *Config) {
			e := &notify.EmailConfig{Addr: "smtp.example.com:587", From: "no-reply@example.com", Username: "u", Password: pass}
			mut(e)
			c.Email = e
		}
	}
	sms := func(mut func(*notify.SMSConfig)) func(*Config) {
		return func(c *Config) {
			s := &notify.SMSConfig{URL: "https://api.example.com/Messages.json", Username: "AC1", Password: token, From: "+15550000000"}
			mut(s)
			c.SMS = s
		}
	}
	cases := []struct {
		name string
		mut  func(*Config)
		want string
	}{
		{"no port", email(func(e *notify.EmailConfig) { e.Addr = "smtp.example.com" }), "host:port"},
		{"no from", email(func(e *notify.EmailConfig) { e.From = "" }), "from is required"},
		{"bad from", email(func(e *notify.EmailConfig) { e.From = "not an address" }), "from is not"},
		{"plain password off host", email(func(e *notify.EmailConfig) { e.Security = notify.SMTPPlain }), "loopback"},
		{"unknown security", email(func(e *notify.EmailConfig) { e.Security = "ssl" }), "starttls, tls or plain"},
		{"password alone", email(func(e *notify.EmailConfig) { e.Username = "" }), "username and password"},
		{"sms over http", sms(func(s *notify.SMSConfig) { s.URL = "http://api.example.com/x" }), "https"},
		{"sms credentials in the URL", sms(func(s *notify.SMSConfig) { s.URL = "https://AC1:" + token + "@api.example.com/x" }), "without credentials"},
		{"sms without auth", sms(func(s *notify.SMSConfig) { s.Password = "" }), "auth is required"},
		{"sms without from", sms(func(s *notify.SMSConfig) { s.From = "" }), "from is required"},
		{"reset mode", func(c *Config) { c.Tenants[0].PINResetEmail = "sms" }, "link or otp"},
		{"foreign reset URL", func(c *Config) {
			c.Tenants[0].AllowedOrigins = []string{"https://app.example.com"}
			c.Tenants[0].ResetPINURL = "https://elsewhere.example.com/reset"
		}, "reset_pin_url"},
	}
	for _, c := range cases {
		cfg := minimalConfig(t)
		c.mut(&cfg)
		_, err := cfg.WithDefaults()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: WithDefaults = %v, want an error about %q", c.name, err, c.want)
			continue
		}
		if strings.Contains(err.Error(), pass) || strings.Contains(err.Error(), token) {
			t.Errorf("%s: the error carries a secret: %v", c.name, err)
		}
	}
}

func TestResetConfigDefaults(t *testing.T) {
	t.Parallel()
	cfg := minimalConfig(t)
	cfg.Email = &notify.EmailConfig{Addr: "127.0.0.1:25", From: "a@example.com", Username: "u", Password: "p", Security: notify.SMTPPlain}
	cfg.SMS = &notify.SMSConfig{URL: "http://127.0.0.1:9/x", Password: "t", From: "+1555"}
	c, err := cfg.WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if c.ResetTokenTTL != 15*time.Minute || c.OTPTTL != 10*time.Minute {
		t.Errorf("TTLs %v %v", c.ResetTokenTTL, c.OTPTTL)
	}
	if c.Email.Limit != notify.DefaultSendLimit || c.SMS.Limit != notify.DefaultSendLimit || c.Email.Timeout != notify.DefaultSendTimeout {
		t.Errorf("limits %+v %+v, timeout %v", c.Email.Limit, c.SMS.Limit, c.Email.Timeout)
	}
	if c.Tenants[0].PINResetEmail != PINResetByLink {
		t.Errorf("PINResetEmail %q", c.Tenants[0].PINResetEmail)
	}
	if cfg.Email.Limit != (notify.SendLimit{}) {
		t.Error("WithDefaults changed the caller's notify.EmailConfig")
	}
}

func TestWebhookDefaultsFillTheConfigDefaultsAndPrefixTheErrors(t *testing.T) {
	const secret = "s3cret-value-that-is-long-enough-0123"
	in := []webhook.Webhook{{URL: "https://hooks.example.com/in", Secret: secret}}
	cfg := Config{Tenants: []Tenant{{Name: "demo"}}, Webhooks: in}
	if err := cfg.webhookDefaults(); err != nil {
		t.Fatal(err)
	}
	if cfg.Webhooks[0].Timeout != webhook.DefaultTimeout || in[0].Timeout != 0 {
		t.Errorf("timeout %s (the caller's %s), want the default in the config only", cfg.Webhooks[0].Timeout, in[0].Timeout)
	}
	if cfg.WebhookPollInterval != webhook.DefaultPollInterval || cfg.WebhookRetention != webhook.DefaultRetention {
		t.Errorf("poll %s retention %s, want the defaults", cfg.WebhookPollInterval, cfg.WebhookRetention)
	}
	cfg = Config{Tenants: []Tenant{{Name: "demo"}}, Webhooks: []webhook.Webhook{{URL: "https://x", Secret: secret, Tenant: "nope"}}}
	if err := cfg.webhookDefaults(); err == nil || err.Error() != `pinauth: tenant "nope": webhook 1: no such tenant` {
		t.Errorf("err = %v, want the webhook's error after pinauth:", err)
	}
}

func TestAuthRequestPathMustBeFreeOfTheGatewaysOwnPaths(t *testing.T) {
	t.Parallel()
	const authPath = "/_pinauth/verify"
	for _, p := range []string{"verify", "/", "/identity/v2/verify", JWKSPath, "/login/verify", "/a//b", "/a%2fb"} {
		cfg := Config{AuthRequestPath: p, APIPrefix: DefaultAPIPrefix, LoginPage: &loginpage.Config{Path: loginpage.DefaultPath}}
		if err := cfg.authRequestDefaults(); err == nil || !strings.Contains(err.Error(), "auth_request") {
			t.Errorf("auth_request %q: want an error naming auth_request, got %v", p, err)
		}
	}
	cfg := Config{AuthRequestPath: authPath, APIPrefix: DefaultAPIPrefix, LoginPage: &loginpage.Config{Path: loginpage.DefaultPath}}
	if err := cfg.authRequestDefaults(); err != nil {
		t.Errorf("auth_request %s: %v", authPath, err)
	}
}
