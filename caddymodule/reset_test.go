package caddymodule

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/pinauth/caddy-pinauth/pinauth/notify"
)

func TestUnmarshalCaddyfileParsesEmailSMSAndResetSettings(t *testing.T) {
	t.Parallel()
	input := `pin_auth {
		tenant shop {
			api_key k
			api_secret s
			allowed_origins https://shop.example
			reset_pin_url https://shop.example/reset-pin
			pin_reset_email otp
			message_templates /etc/pinauth/shop
		}
		email smtp smtp.example.com:587 {
			from "Shop <no-reply@shop.example>"
			username mailer
			password {env.SMTP_PASSWORD}
			tls
			templates /etc/pinauth/messages
			timeout 5s
			limit 3 10 30m
		}
		sms https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json {
			auth AC1 {env.TWILIO_TOKEN}
			from +15550000000
			timeout 4s
			limit 2 5 1h
		}
		reset_token_ttl 20m
		otp_ttl 5m
	}`
	var got Handler
	if err := got.UnmarshalCaddyfile(caddyfile.NewTestDispenser(input)); err != nil {
		t.Fatalf("UnmarshalCaddyfile: %v", err)
	}
	want := Handler{
		Tenants: []Tenant{{
			Name: "shop", APIKeys: []string{"k"}, APISecret: "s", AllowedOrigins: []string{"https://shop.example"},
			ResetPINURL: "https://shop.example/reset-pin", PINResetEmail: "otp", MessageTemplates: "/etc/pinauth/shop",
		}},
		Email: &Email{
			Server: "smtp.example.com:587", From: "Shop <no-reply@shop.example>", Username: "mailer",
			Password: "{env.SMTP_PASSWORD}", Security: "tls", Templates: "/etc/pinauth/messages",
			Timeout: caddy.Duration(5 * time.Second),
			Limit:   &SendLimit{PerIdentifier: 3, PerIP: 10, Window: caddy.Duration(30 * time.Minute)},
		},
		SMS: &SMS{
			URL: "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json", Username: "AC1",
			Token: "{env.TWILIO_TOKEN}", From: "+15550000000", Timeout: caddy.Duration(4 * time.Second),
			Limit: &SendLimit{PerIdentifier: 2, PerIP: 5, Window: caddy.Duration(time.Hour)},
		},
		ResetTokenTTL: caddy.Duration(20 * time.Minute),
		OTPTTL:        caddy.Duration(5 * time.Minute),
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}

	var bearer Handler
	if err := bearer.UnmarshalCaddyfile(caddyfile.NewTestDispenser(`pin_auth {
		sms http://127.0.0.1:9000/sms {
			auth only-a-token
			from PINAUTH
		}
	}`)); err != nil {
		t.Fatal(err)
	}
	if s := bearer.SMS; s.Username != "" || s.Token != "only-a-token" || s.Limit != nil {
		t.Fatalf("sms with one auth value: %+v", s)
	}
}

func TestUnmarshalCaddyfileRejectsBadResetSettingsWithoutEchoingSecrets(t *testing.T) {
	t.Parallel()
	wrap := func(body string) string { return "pin_auth {\n" + body + "\n}" }
	email := func(body string) string { return wrap("email smtp smtp.example.com:587 {\n" + body + "\n}") }
	sms := func(body string) string { return wrap("sms https://sms.example/x {\n" + body + "\n}") }
	tests := []struct {
		name, input, want string
		secrets           []string
	}{
		{"email without smtp", wrap("email smtp.example.com:587 {\nfrom a@b.c\n}"), "email: want smtp <host:port>", nil},
		{"email without port", wrap("email smtp smtp.example.com {\nfrom a@b.c\n}"), "is not host:port", nil},
		{"email without from", email(""), "email: from is required", nil},
		{"email password twice", email("from a@b.c\nusername u\npassword pw-SECRET1\npassword pw-SECRET2"), "email: password: given more than once", []string{"SECRET1", "SECRET2"}},
		{"email password with two values", email("from a@b.c\nusername u\npassword pw-SECRET1 pw-SECRET2"), "password: want exactly one value", []string{"SECRET1", "SECRET2"}},
		{"email password without username", email("from a@b.c\npassword pw-SECRET1"), "username and password go together", []string{"SECRET1"}},
		{"email two securities", email("from a@b.c\nstarttls\nplain"), "plain: given more than once", nil},
		{"email security with a value", email("from a@b.c\ntls yes"), "tls: takes no value", nil},
		{"email unknown subdirective", email("from a@b.c\nsender x"), "email: unknown subdirective", nil},
		{"email bad limit", email("from a@b.c\nlimit 5 0 1h"), "limit", nil},
		{"email bad limit window", email("from a@b.c\nlimit 5 20 sometimes"), "limit: invalid window", nil},
		{"email bad timeout", email("from a@b.c\ntimeout soon"), "timeout: invalid duration", nil},
		{"sms without URL", wrap("sms {\nauth t\n}"), "sms: want the provider URL", nil},
		{"sms relative URL", wrap("sms /send {\nauth t\nfrom x\n}"), "absolute http(s) URL", nil},
		{"sms credentials in the URL", wrap("sms https://AC1:tok-SECRET1@sms.example/x {\nauth t\nfrom x\n}"), "without credentials", []string{"SECRET1"}},
		{"sms without auth", sms("from x"), "sms: auth is required", nil},
		{"sms auth with three values", sms("auth a tok-SECRET1 tok-SECRET2\nfrom x"), "auth: want 1 to 2 values", []string{"SECRET1", "SECRET2"}},
		{"sms auth twice", sms("auth tok-SECRET1\nauth tok-SECRET2\nfrom x"), "sms: auth: given more than once", []string{"SECRET1", "SECRET2"}},
		{"sms without from", sms("auth tok-SECRET1"), "sms: from is required", []string{"SECRET1"}},
		{"sms unknown subdirective", sms("auth t\nfrom x\nvoice"), "sms: unknown subdirective", nil},
		{"email twice", wrap("email smtp a:1 {\nfrom a@b.c\n}\nemail smtp b:2 {\nfrom a@b.c\n}"), "email: given more than once", nil},
		{"otp_ttl zero", wrap("otp_ttl 0s"), "otp_ttl: invalid duration", nil},
		{"pin_reset_email unknown", wrap("tenant a {\npin_reset_email sms\n}"), "pin_reset_email: unknown value", nil},
		{"reset_pin_url twice", wrap("tenant a {\nreset_pin_url x\nreset_pin_url y\n}"), "reset_pin_url: given more than once", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var h Handler
			err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tt.input))
			if err == nil {
				t.Fatalf("no error for:\n%s", tt.input)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not contain %q", msg, tt.want)
			}
			for _, s := range tt.secrets {
				if strings.Contains(msg, s) {
					t.Errorf("error %q echoes the secret %q", msg, s)
				}
			}
		})
	}
}

func TestCoreConfigExpandsTheResetSettings(t *testing.T) {
	t.Setenv("TEST_PINAUTH_SMTP_PASSWORD", "smtp-password-from-env")
	t.Setenv("TEST_PINAUTH_SMS_TOKEN", "sms-token-from-env")
	h := Handler{
		Tenants: []Tenant{{Name: "demo", APIKeys: []string{"k"}, APISecret: "s", AllowedOrigins: []string{"https://a.example"},
			ResetPINURL: "https://a.example/reset", PINResetEmail: "otp", MessageTemplates: "/tpl/demo"}},
		Peppers: []string{"pepper-0123456789abcdef"},
		Email: &Email{Server: "127.0.0.1:2525", From: "a@example.com", Username: "u", Password: "{env.TEST_PINAUTH_SMTP_PASSWORD}",
			Security: "plain", Templates: "/tpl", Timeout: caddy.Duration(time.Second),
			Limit: &SendLimit{PerIdentifier: 1, PerIP: 2, Window: caddy.Duration(time.Minute)}},
		SMS:           &SMS{URL: "http://127.0.0.1:9000/sms", Username: "AC1", Token: "{env.TEST_PINAUTH_SMS_TOKEN}", From: "+1555"},
		ResetTokenTTL: caddy.Duration(20 * time.Minute),
		OTPTTL:        caddy.Duration(3 * time.Minute),
	}
	if err := h.Validate(); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := h.coreConfig(caddy.NewReplacer())
	if err != nil {
		t.Fatal(err)
	}
	wantEmail := notify.EmailConfig{Addr: "127.0.0.1:2525", From: "a@example.com", Username: "u", Password: "smtp-password-from-env",
		Security: "plain", Timeout: time.Second, Limit: notify.SendLimit{PerIdentifier: 1, PerIP: 2, Window: time.Minute}}
	if cfg.Email == nil || !reflect.DeepEqual(*cfg.Email, wantEmail) {
		t.Errorf("Email = %+v", cfg.Email)
	}
	wantSMS := notify.SMSConfig{URL: "http://127.0.0.1:9000/sms", Username: "AC1", Password: "sms-token-from-env", From: "+1555"}
	if cfg.SMS == nil || !reflect.DeepEqual(*cfg.SMS, wantSMS) {
		t.Errorf("SMS = %+v", cfg.SMS)
	}
	tn := cfg.Tenants[0]
	if cfg.MessageTemplates != "/tpl" || cfg.ResetTokenTTL != 20*time.Minute || cfg.OTPTTL != 3*time.Minute ||
		tn.ResetPINURL != "https://a.example/reset" || tn.PINResetEmail != "otp" || tn.MessageTemplates != "/tpl/demo" {
		t.Errorf("reset settings: %q %v %v %+v", cfg.MessageTemplates, cfg.ResetTokenTTL, cfg.OTPTTL, tn)
	}

	t.Setenv("TEST_PINAUTH_SMTP_PASSWORD", "")
	h.Email.Password = "SECRET{env.TEST_PINAUTH_SMTP_PASSWORD}"
	if _, _, err := h.coreConfig(caddy.NewReplacer()); err == nil || !strings.Contains(err.Error(), "email password") ||
		strings.Contains(err.Error(), "SECRET") {
		t.Errorf("empty password placeholder: %v", err)
	}
}
