package webhook

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Webhook is one subscriber of events.
type Webhook struct {
	// URL receives signed POSTs. Required.
	URL string
	// Secret signs every delivery (Standard Webhooks). Required.
	Secret string
	// Events limits the events sent (names as the event constants, any
	// case); empty means all.
	Events []string
	// Tenant limits the webhook to one tenant; "" means every tenant.
	Tenant string
	// Timeout bounds one delivery attempt, from connecting to the end of
	// the response headers. Default: DefaultTimeout.
	Timeout time.Duration
	// Retry says how often and how far apart failed deliveries are
	// retried. Zero fields take the defaults named on RetryPolicy.
	Retry RetryPolicy
}

// The delivery defaults. With them a failing receiver is retried for
// about two days (20 attempts: 5s, 10s, 20s … doubling up to 8h).
const (
	// DefaultTimeout bounds one delivery attempt.
	DefaultTimeout = 15 * time.Second
	// DefaultAttempts is the number of attempts before an event is dead.
	DefaultAttempts = 20
	// DefaultRetryInitial is the longest wait before the first retry.
	DefaultRetryInitial = 5 * time.Second
	// DefaultRetryMax caps every wait between attempts.
	DefaultRetryMax = 8 * time.Hour
	// DefaultPollInterval is how often a dispatcher looks for due events
	// when it has nothing else to wake it.
	DefaultPollInterval = time.Second
	// DefaultRetention is how long delivered events are kept in the
	// outbox before they are pruned. Dead events are kept until replayed.
	DefaultRetention = 7 * 24 * time.Hour
)

// EndpointID names the webhook in the outbox (store.Event.Endpoint): a
// hash of its tenant and URL, stable across restarts and nodes, and free
// of any credential the URL carries.
func (w *Webhook) EndpointID() string {
	sum := sha256.Sum256([]byte(w.Tenant + "\x00" + w.URL))
	return hex.EncodeToString(sum[:8])
}

// Wants reports whether w subscribes to hook events of tenant.
func (w *Webhook) Wants(tenant, hook string) bool {
	if w.Tenant != "" && w.Tenant != tenant {
		return false
	}
	if len(w.Events) == 0 {
		return true
	}
	for _, e := range w.Events {
		if strings.EqualFold(e, hook) {
			return true
		}
	}
	return false
}

// Validate checks hooks against the tenant names and returns a copy with
// defaults applied; hooks itself is left as it is. Errors name the webhook
// by its position and tenant, never by its URL (which may carry a token)
// or secret.
func Validate(hooks []Webhook, tenants []string) ([]Webhook, error) {
	seen := map[string]bool{}
	out := make([]Webhook, len(hooks))
	for i, w := range hooks {
		name := fmt.Sprintf("webhook %d", i+1)
		if w.Tenant != "" {
			name = fmt.Sprintf("tenant %q: %s", w.Tenant, name)
			if !contains(tenants, w.Tenant) {
				return nil, fmt.Errorf("%s: no such tenant", name)
			}
		}
		u, err := url.Parse(w.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("%s: url must be an absolute http or https URL", name)
		}
		if w.Secret == "" {
			return nil, fmt.Errorf("%s: secret is required", name)
		}
		if _, err := signingKey(w.Secret); err != nil {
			return nil, fmt.Errorf("%s: secret: %w", name, err)
		}
		if err := CheckEvents(w.Events); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if w.Timeout < 0 || w.Retry.Attempts < 0 || w.Retry.Initial < 0 || w.Retry.Max < 0 {
			return nil, fmt.Errorf("%s: timeout and retry values must not be negative", name)
		}
		if w.Timeout <= 0 {
			w.Timeout = DefaultTimeout
		}
		w.Retry = w.Retry.withDefaults()
		id := w.EndpointID()
		if seen[id] {
			return nil, fmt.Errorf("%s: the same url is configured twice", name)
		}
		seen[id] = true
		out[i] = w
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
