package pinauth

import (
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

func TestValidateWebhooksFillsTheConfigDefaultsAndPrefixesItsErrors(t *testing.T) {
	const secret = "s3cret-value-that-is-long-enough-0123"
	in := []webhook.Webhook{{URL: "https://hooks.example.com/in", Secret: secret}}
	cfg := Config{Tenants: []Tenant{{Name: "demo"}}, Webhooks: in}
	if err := validateWebhooks(&cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Webhooks[0].Timeout != webhook.DefaultTimeout || in[0].Timeout != 0 {
		t.Errorf("timeout %s (the caller's %s), want the default in the config only", cfg.Webhooks[0].Timeout, in[0].Timeout)
	}
	if cfg.WebhookPollInterval != webhook.DefaultPollInterval || cfg.WebhookRetention != webhook.DefaultRetention {
		t.Errorf("poll %s retention %s, want the defaults", cfg.WebhookPollInterval, cfg.WebhookRetention)
	}
	cfg = Config{Tenants: []Tenant{{Name: "demo"}}, Webhooks: []webhook.Webhook{{URL: "https://x", Secret: secret, Tenant: "nope"}}}
	if err := validateWebhooks(&cfg); err == nil || err.Error() != `pinauth: tenant "nope": webhook 1: no such tenant` {
		t.Errorf("err = %v, want the webhook's error after pinauth:", err)
	}
}
