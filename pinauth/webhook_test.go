package pinauth

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

// A vector published with the Standard Webhooks reference libraries: a
// receiver using any of them accepts what signWebhook produces.
func TestSignWebhookMatchesTheStandardWebhooksVector(t *testing.T) {
	key, err := webhookKey("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	got := signWebhook(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("signature = %s, want %s", got, want)
	}
}

func TestWebhookKeyDecodesWhsecSecretsAndTakesPlainOnesAsBytes(t *testing.T) {
	raw := bytes.Repeat([]byte{0xfe, 0x01, 0x7f}, 11) // 33 bytes, not valid UTF-8
	for _, c := range []struct {
		name, secret string
		want         []byte
		wantErr      string
	}{
		{"whsec with padding", "whsec_" + base64.StdEncoding.EncodeToString(raw), raw, ""},
		{"whsec without padding", "whsec_" + base64.RawStdEncoding.EncodeToString(raw[:32]), raw[:32], ""},
		{"plain secret", "a plain shared secret of 33 bytes", []byte("a plain shared secret of 33 bytes"), ""},
		{"whsec with bad base64", "whsec_not*base64*at*all*but*long*enough", nil, "base64"},
		{"whsec too short once decoded", "whsec_" + base64.StdEncoding.EncodeToString(raw[:23]), nil, "24 bytes"},
		{"plain too short", "short-secret-23-bytes!!", nil, "24 bytes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			key, err := webhookKey(c.secret)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, c.wantErr)
				}
				if strings.Contains(err.Error(), strings.TrimPrefix(c.secret, "whsec_")) {
					t.Errorf("the error repeats the secret: %v", err)
				}
				return
			}
			if err != nil || !bytes.Equal(key, c.want) {
				t.Errorf("key = %x, %v; want %x", key, err, c.want)
			}
		})
	}
}

func TestRetryDelaysDoubleWithinEqualJitterUpToTheCap(t *testing.T) {
	p := RetryPolicy{Attempts: 10, Initial: time.Second, Max: 10 * time.Second}
	for _, c := range []struct {
		attempts int
		lo, hi   time.Duration
	}{
		{1, 500 * time.Millisecond, time.Second},
		{2, time.Second, 2 * time.Second},
		{3, 2 * time.Second, 4 * time.Second},
		{4, 4 * time.Second, 8 * time.Second},
		{5, 5 * time.Second, 10 * time.Second},
		{60, 5 * time.Second, 10 * time.Second}, // no overflow far past the cap
	} {
		if got := p.delay(c.attempts, 0); got != c.lo {
			t.Errorf("delay(%d, jitter 0) = %s, want %s", c.attempts, got, c.lo)
		}
		if got := p.delay(c.attempts, 0.999999999); got < c.hi-time.Millisecond || got > c.hi {
			t.Errorf("delay(%d, jitter→1) = %s, want just under %s", c.attempts, got, c.hi)
		}
	}
	seen := map[time.Duration]bool{}
	for range 20 {
		f := randomFraction()
		if f < 0 || f >= 1 {
			t.Fatalf("randomFraction() = %v, want [0, 1)", f)
		}
		seen[p.delay(3, f)] = true
	}
	if len(seen) < 10 {
		t.Errorf("20 jittered delays took only %d distinct values", len(seen))
	}
}

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
			cfg := Config{Tenants: []Tenant{{Name: "demo"}}, Webhooks: []Webhook{c.hook}}
			err := validateWebhooks(&cfg)
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
		cfg := Config{Tenants: []Tenant{{Name: "demo"}}, Webhooks: []Webhook{h, h}}
		if err := validateWebhooks(&cfg); err == nil || !strings.Contains(err.Error(), "webhook 2: the same url") {
			t.Errorf("err = %v, want webhook 2 named as a duplicate", err)
		}
		other := h
		other.Tenant = "demo"
		cfg = Config{Tenants: []Tenant{{Name: "demo"}}, Webhooks: []Webhook{h, other}}
		if err := validateWebhooks(&cfg); err != nil {
			t.Errorf("a handler-level and a tenant-level webhook with one url: %v", err)
		}
	})
	t.Run("defaults are filled without touching the caller's slice", func(t *testing.T) {
		in := []Webhook{{URL: tokenURL, Secret: secret, Events: []string{"login", "SETPIN"}}}
		cfg := Config{Tenants: []Tenant{{Name: "demo"}}, Webhooks: in}
		if err := validateWebhooks(&cfg); err != nil {
			t.Fatal(err)
		}
		w := cfg.Webhooks[0]
		if w.Timeout != DefaultWebhookTimeout || w.Retry != (RetryPolicy{DefaultWebhookAttempts, DefaultWebhookRetryInitial, DefaultWebhookRetryMax}) {
			t.Errorf("defaults = %s %+v", w.Timeout, w.Retry)
		}
		if in[0].Timeout != 0 {
			t.Error("validateWebhooks changed the caller's Webhooks")
		}
		if cfg.WebhookPollInterval != DefaultWebhookPollInterval || cfg.WebhookRetention != DefaultWebhookRetention {
			t.Errorf("poll %s retention %s, want the defaults", cfg.WebhookPollInterval, cfg.WebhookRetention)
		}
	})
}
