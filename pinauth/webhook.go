package pinauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
)

// RetryPolicy is how a webhook's failed deliveries are retried: the n-th
// retry waits a random time between half and all of Initial·2^(n-1),
// capped at Max ("equal jitter": spread out, yet never much sooner than
// the exponential schedule). After Attempts attempts in all the event is
// dead: kept, logged, and delivered again only when replayed.
type RetryPolicy struct {
	// Attempts is the number of delivery attempts, the first included.
	// Default: DefaultWebhookAttempts.
	Attempts int
	// Initial is the longest wait before the first retry.
	// Default: DefaultWebhookRetryInitial.
	Initial time.Duration
	// Max caps every wait. Default: DefaultWebhookRetryMax.
	Max time.Duration
}

// The webhook delivery defaults. With them a failing receiver is retried
// for about two days (20 attempts: 5s, 10s, 20s … doubling up to 8h).
const (
	DefaultWebhookTimeout      = 15 * time.Second
	DefaultWebhookAttempts     = 20
	DefaultWebhookRetryInitial = 5 * time.Second
	DefaultWebhookRetryMax     = 8 * time.Hour
	// DefaultWebhookPollInterval is how often a dispatcher looks for due
	// events when it has nothing else to wake it.
	DefaultWebhookPollInterval = time.Second
	// DefaultWebhookRetention is how long delivered events are kept in the
	// outbox before they are pruned. Dead events are kept until replayed.
	DefaultWebhookRetention = 7 * 24 * time.Hour
	// minWebhookKey is the shortest HMAC key accepted, as the Standard
	// Webhooks specification requires of signing secrets.
	minWebhookKey = 24
	// webhookSecretPrefix marks a secret serialised the Standard Webhooks
	// way: the key is the base64 text after it.
	webhookSecretPrefix = "whsec_"
)

// hookNames are the event names a webhook may subscribe to.
var hookNames = []string{
	HookLogin, HookSetPIN, HookChangePIN, HookResetPIN, HookResetPassword,
	HookBlockAccount, HookRegister, HookUpdateProfile, HookDeleteAccount,
}

// webhookKey returns the HMAC-SHA256 key of a webhook secret. A secret
// starting with "whsec_" is the Standard Webhooks serialisation: the key
// is the base64 decoding of the rest (what the Standard Webhooks libraries
// use). Any other secret is used as its own bytes. Either way the key must
// have at least 24 bytes. Errors never contain the secret.
func webhookKey(secret string) ([]byte, error) {
	key := []byte(secret)
	if rest, ok := strings.CutPrefix(secret, webhookSecretPrefix); ok {
		var err error
		if key, err = base64.StdEncoding.DecodeString(rest); err != nil {
			if key, err = base64.RawStdEncoding.DecodeString(rest); err != nil {
				return nil, errors.New("a whsec_ secret must be followed by standard base64")
			}
		}
	}
	if len(key) < minWebhookKey {
		return nil, fmt.Errorf("the signing key must have at least %d bytes", minWebhookKey)
	}
	return key, nil
}

// signWebhook returns the Standard Webhooks signature header value:
// "v1," and the base64 HMAC-SHA256, under key, of id "." timestamp "."
// body, where timestamp is the Unix time in decimal seconds.
func signWebhook(key []byte, id string, timestamp int64, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write(strconv.AppendInt(nil, timestamp, 10))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// delay is the wait after the attempts-th failed attempt (1 for the
// first). jitter is uniform in [0, 1).
func (p RetryPolicy) delay(attempts int, jitter float64) time.Duration {
	d := p.Initial
	for i := 1; i < attempts && d < p.Max; i++ {
		d *= 2
	}
	d = min(d, p.Max)
	return d/2 + time.Duration(jitter*float64(d-d/2))
}

// randomFraction returns a uniform value in [0, 1) from crypto/rand.
func randomFraction() float64 {
	return float64(binary.BigEndian.Uint64(secret.Bytes(8))>>11) / (1 << 53)
}

// withDefaults fills p's zero fields.
func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Attempts <= 0 {
		p.Attempts = DefaultWebhookAttempts
	}
	setDefault(&p.Initial, DefaultWebhookRetryInitial)
	setDefault(&p.Max, DefaultWebhookRetryMax)
	p.Max = max(p.Max, p.Initial)
	return p
}

// validateWebhooks checks c.Webhooks against the tenants and returns a
// copy with defaults applied. Errors name the webhook by its position and
// tenant, never by its URL (which may carry a token) or secret.
func validateWebhooks(c *Config) error {
	tenants := map[string]bool{}
	for _, t := range c.Tenants {
		tenants[t.Name] = true
	}
	seen := map[string]bool{}
	hooks := make([]Webhook, len(c.Webhooks))
	for i, w := range c.Webhooks {
		name := fmt.Sprintf("webhook %d", i+1)
		if w.Tenant != "" {
			name = fmt.Sprintf("tenant %q: %s", w.Tenant, name)
			if !tenants[w.Tenant] {
				return fmt.Errorf("pinauth: %s: no such tenant", name)
			}
		}
		u, err := url.Parse(w.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("pinauth: %s: url must be an absolute http or https URL", name)
		}
		if w.Secret == "" {
			return fmt.Errorf("pinauth: %s: secret is required", name)
		}
		if _, err := webhookKey(w.Secret); err != nil {
			return fmt.Errorf("pinauth: %s: secret: %w", name, err)
		}
		for _, e := range w.Events {
			if !knownHook(e) {
				return fmt.Errorf("pinauth: %s: unknown event %q (want %s)", name, e, strings.Join(hookNames, ", "))
			}
		}
		if w.Timeout < 0 || w.Retry.Attempts < 0 || w.Retry.Initial < 0 || w.Retry.Max < 0 {
			return fmt.Errorf("pinauth: %s: timeout and retry values must not be negative", name)
		}
		setDefault(&w.Timeout, DefaultWebhookTimeout)
		w.Retry = w.Retry.withDefaults()
		if id := w.EndpointID(); seen[id] {
			return fmt.Errorf("pinauth: %s: the same url is configured twice", name)
		} else {
			seen[id] = true
		}
		hooks[i] = w
	}
	c.Webhooks = hooks
	setDefault(&c.WebhookPollInterval, DefaultWebhookPollInterval)
	setDefault(&c.WebhookRetention, DefaultWebhookRetention)
	return nil
}

func knownHook(name string) bool {
	for _, h := range hookNames {
		if strings.EqualFold(h, name) {
			return true
		}
	}
	return false
}
