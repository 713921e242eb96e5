package config

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/captcha"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/sqlite"
)

// minimalConfig is a valid configuration of one tenant over a fresh SQLite
// store closed with the test.
func minimalConfig(t *testing.T) Config {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "pinauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return Config{
		Tenants: []Tenant{{Name: "demo", APIKeys: []string{"test-api-key"}, APISecret: "test-api-secret-0123"}},
		Store:   st, Peppers: []string{"unit-test-pepper-0123456789"}, Issuer: "https://gw.test",
	}
}

func TestCaptchaConfigIsValidated(t *testing.T) {
	t.Parallel()
	const valSecret = "captcha-validation-secret"
	cases := []struct {
		name string
		cfg  func(*Config)
		want string
	}{
		{"captcha lockout without provider", func(c *Config) { c.Lockout.Type = store.LockCaptcha }, "needs a captcha provider"},
		{"unknown provider", func(c *Config) { c.Captcha = &captcha.Config{Provider: "turnstile", Secret: valSecret} }, "unknown provider"},
		{"no secret", func(c *Config) { c.Captcha = &captcha.Config{Provider: captcha.HCaptcha} }, "secret is required"},
		{"tencent without app_id", func(c *Config) { c.Captcha = &captcha.Config{Provider: captcha.Tencent, Secret: valSecret} }, "app_id"},
		{"relative verify_url", func(c *Config) {
			c.Captcha = &captcha.Config{Provider: captcha.ReCAPTCHA, Secret: valSecret, VerifyURL: "/verify"}
		}, "verify_url"},
		{"score above 1", func(c *Config) {
			c.Captcha = &captcha.Config{Provider: captcha.ReCAPTCHA, Secret: valSecret, MinScore: 1.5}
		}, "min_score"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := minimalConfig(t)
			tc.cfg(&cfg)
			_, err := cfg.WithDefaults()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("WithDefaults: %v, want an error containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), valSecret) {
				t.Fatalf("error quotes the secret: %v", err)
			}
		})
	}
}
