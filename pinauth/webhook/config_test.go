package webhook

import (
	"strings"
	"testing"
)

func TestWebhookConfigErrorsNameTheWebhookNeverItsURLOrSecret(t *testing.T) {
	const secret = "s3cret-value-that-is-long-enough-0123"
	const tokenURL = "https://hooks.example.com/in?token=url-token-42"
	for _, c := range []struct {
		name string
		hook Webhook
		want string
	}{
		{"relative url", Webhook{URL: "/hooks?token=url-token-42", Secret: secret}, "absolute http or https"},
		{"ftp url", Webhook{URL: "ftp://x/url-token-42", Secret: secret}, "absolute http or https"},
		{"no secret", Webhook{URL: tokenURL}, "secret is required"},
		{"short secret", Webhook{URL: tokenURL, Secret: "url-token-42"}, "24 bytes"},
		{"unknown event", Webhook{URL: tokenURL, Secret: secret, Events: []string{"Login", "Logout"}}, `unknown event "Logout"`},
		{"unknown tenant", Webhook{URL: tokenURL, Secret: secret, Tenant: "nope"}, `tenant "nope": webhook 1: no such tenant`},
		{"negative retry", Webhook{URL: tokenURL, Secret: secret, Retry: RetryPolicy{Attempts: -1}}, "must not be negative"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Validate([]Webhook{c.hook}, []string{"demo"})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one containing %q", err, c.want)
			}
			for _, leak := range []string{secret, "url-token-42"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("the error %q leaks %q", err, leak)
				}
			}
		})
	}
	t.Run("the same url twice for one tenant", func(t *testing.T) {
		h := Webhook{URL: tokenURL, Secret: secret}
		if _, err := Validate([]Webhook{h, h}, []string{"demo"}); err == nil || !strings.Contains(err.Error(), "webhook 2: the same url") {
			t.Errorf("err = %v, want webhook 2 named as a duplicate", err)
		}
		other := h
		other.Tenant = "demo"
		if _, err := Validate([]Webhook{h, other}, []string{"demo"}); err != nil {
			t.Errorf("a handler-level and a tenant-level webhook with one url: %v", err)
		}
	})
	t.Run("defaults are filled without touching the caller's slice", func(t *testing.T) {
		in := []Webhook{{URL: tokenURL, Secret: secret, Events: []string{"login", "SETPIN"}}}
		out, err := Validate(in, []string{"demo"})
		if err != nil {
			t.Fatal(err)
		}
		w := out[0]
		if w.Timeout != DefaultTimeout || w.Retry != (RetryPolicy{DefaultAttempts, DefaultRetryInitial, DefaultRetryMax}) {
			t.Errorf("defaults = %s %+v", w.Timeout, w.Retry)
		}
		if in[0].Timeout != 0 {
			t.Error("Validate changed the caller's Webhooks")
		}
	})
}
