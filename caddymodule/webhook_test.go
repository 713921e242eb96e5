package caddymodule

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

func TestWebhookSubdirectivesParseAtHandlerAndTenantLevel(t *testing.T) {
	t.Parallel()
	input := `pin_auth {
		tenant shop {
			api_key k
			api_secret s
			webhook https://shop.example/hooks {
				secret {env.SHOP_HOOK_SECRET}
				events Login SetPIN
			}
		}
		webhook https://audit.example/in?token={env.AUDIT_TOKEN} {
			secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
			timeout 5s
			retry 4 100ms 2s
		}
		webhook http://127.0.0.1:9000/hooks {
			secret a-plain-secret-of-24-bytes
			retry 3
		}
	}`
	var got Handler
	if err := got.UnmarshalCaddyfile(caddyfile.NewTestDispenser(input)); err != nil {
		t.Fatal(err)
	}
	want := Handler{
		Tenants: []Tenant{{Name: "shop", APIKeys: []string{"k"}, APISecret: "s", Webhooks: []Webhook{
			{URL: "https://shop.example/hooks", Secret: "{env.SHOP_HOOK_SECRET}", Events: []string{"Login", "SetPIN"}},
		}}},
		Webhooks: []Webhook{
			{URL: "https://audit.example/in?token={env.AUDIT_TOKEN}", Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
				Timeout: caddy.Duration(5 * time.Second),
				Retry:   &WebhookRetry{Attempts: 4, Initial: caddy.Duration(100 * time.Millisecond), Max: caddy.Duration(2 * time.Second)}},
			{URL: "http://127.0.0.1:9000/hooks", Secret: "a-plain-secret-of-24-bytes", Retry: &WebhookRetry{Attempts: 3}},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

func TestWebhookSubdirectiveErrorsNeverEchoTheURLOrSecret(t *testing.T) {
	t.Parallel()
	wrap := func(body string) string { return "pin_auth {\n" + body + "\n}" }
	const url = "https://x.example/hook?token=URLSECRET"
	for _, tt := range []struct{ name, input, want string }{
		{"no url", wrap("webhook {\nsecret s-SECRET\n}"), "webhook: a URL is required"},
		{"two urls", wrap("webhook " + url + " https://y {\nsecret s-SECRET\n}"), "webhook: takes one URL"},
		{"no secret", wrap("webhook " + url), "webhook: secret is required"},
		{"secret twice", wrap("webhook " + url + " {\nsecret a-SECRET\nsecret b-SECRET\n}"), "webhook: secret: given more than once"},
		{"secret with two values", wrap("webhook " + url + " {\nsecret a-SECRET b-SECRET\n}"), "webhook: secret: want exactly one value"},
		{"unknown event", wrap("webhook " + url + " {\nsecret s-SECRET\nevents Login Logout\n}"), `webhook: events: unknown event "Logout"`},
		{"unknown subdirective", wrap("webhook " + url + " {\nsecret s-SECRET\nheaders X\n}"), "webhook: unknown subdirective"},
		{"bad timeout", wrap("webhook " + url + " {\nsecret s-SECRET\ntimeout soon\n}"), "webhook: timeout: invalid duration"},
		{"retry without attempts", wrap("webhook " + url + " {\nsecret s-SECRET\nretry\n}"), "webhook: retry: want 1 to 3 values"},
		{"retry zero attempts", wrap("webhook " + url + " {\nsecret s-SECRET\nretry 0\n}"), "webhook: retry"},
		{"retry max below initial", wrap("webhook " + url + " {\nsecret s-SECRET\nretry 3 1m 1s\n}"), "max is less than initial"},
		{"in a tenant", wrap("tenant t {\nwebhook " + url + "\n}"), "webhook: secret is required"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var h Handler
			err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tt.input))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error %q echoes the URL or the secret", err)
			}
		})
	}
}

func TestWebhooksConvertToTheCoreWithTheirTenant(t *testing.T) {
	t.Setenv("TEST_HOOK_SECRET", "secret-from-env-of-24-bytes")
	t.Setenv("TEST_HOOK_TOKEN", "tok")
	h := Handler{
		Tenants: []Tenant{
			{Name: "shop", APIKeys: []string{"k1"}, APISecret: "s1", Webhooks: []Webhook{
				{URL: "https://shop.example/hooks", Secret: "{env.TEST_HOOK_SECRET}", Events: []string{"login"}},
			}},
			{Name: "blog", APIKeys: []string{"k2"}, APISecret: "s2"},
		},
		Peppers: []string{"pepper-0123456789abcdef"},
		Webhooks: []Webhook{{URL: "https://audit.example/in?token={env.TEST_HOOK_TOKEN}", Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
			Timeout: caddy.Duration(5 * time.Second),
			Retry:   &WebhookRetry{Attempts: 4, Initial: caddy.Duration(time.Second), Max: caddy.Duration(time.Minute)}}},
	}
	if err := h.Validate(); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := h.coreConfig(caddy.NewReplacer())
	if err != nil {
		t.Fatal(err)
	}
	want := []webhook.Webhook{
		{URL: "https://audit.example/in?token=tok", Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", Timeout: 5 * time.Second,
			Retry: webhook.RetryPolicy{Attempts: 4, Initial: time.Second, Max: time.Minute}},
		{URL: "https://shop.example/hooks", Secret: "secret-from-env-of-24-bytes", Events: []string{"login"}, Tenant: "shop"},
	}
	if !reflect.DeepEqual(cfg.Webhooks, want) {
		t.Fatalf("core webhooks:\n got  %+v\n want %+v", cfg.Webhooks, want)
	}

	t.Run("an unset placeholder is an error naming the webhook", func(t *testing.T) {
		h := h
		h.Tenants = append([]Tenant(nil), h.Tenants...)
		h.Tenants[0].Webhooks = []Webhook{{URL: "https://x", Secret: "{env.TEST_HOOK_UNSET}"}}
		_, _, err := h.coreConfig(caddy.NewReplacer())
		if err == nil || !strings.Contains(err.Error(), `tenant "shop": webhook 1: secret`) {
			t.Errorf("err = %v, want it to name the tenant's webhook secret", err)
		}
	})
	t.Run("validation names the webhook", func(t *testing.T) {
		for _, c := range []struct {
			mod  func(h *Handler)
			want string
		}{
			{func(h *Handler) { h.Webhooks = []Webhook{{Secret: "x"}} }, "webhook 1: url is required"},
			{func(h *Handler) { h.Webhooks = []Webhook{{URL: "https://a"}, {URL: "https://b"}} }, "webhook 1: secret is required"},
			{func(h *Handler) {
				h.Tenants = []Tenant{{Name: "t", APIKeys: []string{"k"}, APISecret: "s", Webhooks: []Webhook{{URL: "u", Secret: "s", Events: []string{"Nope"}}}}}
			}, `tenant "t": webhook 1: unknown event "Nope"`},
			{func(h *Handler) { h.Webhooks = []Webhook{{URL: "u", Secret: "s", Timeout: -1}} }, "must not be negative"},
		} {
			h := h
			c.mod(&h)
			if err := h.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Validate = %v, want %q", err, c.want)
			}
		}
	})
}
