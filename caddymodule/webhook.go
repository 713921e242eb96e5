package caddymodule

import (
	"errors"
	"fmt"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// Webhook is a receiver of signed event deliveries. Events are written to
// an outbox in the same transaction as the change they report and
// delivered in the background, in order per account, with retries;
// requests never wait for them.
type Webhook struct {
	// URL receives one POST per event. Accepts placeholders. Required.
	URL string `json:"url,omitempty"`

	// Secret signs every delivery the Standard Webhooks way. A value
	// "whsec_<base64>" is a serialised key: the HMAC key is the base64
	// decoding of the part after "whsec_". Any other value is the key
	// itself (its bytes). Either way the key has at least 24 bytes.
	// Accepts placeholders. Required.
	Secret string `json:"secret,omitempty"`

	// Events limits deliveries to these events: Login, SetPIN, ChangePIN,
	// ResetPIN, ResetPassword, BlockAccount, Register, UpdateProfile,
	// DeleteAccount, AssignRoles, UnassignRoles, RemoveRoleContext,
	// SetUsername, AddEmail, RemoveEmail, UpdatePhoneId, EmailVerification
	// (any case). Default: all.
	Events []string `json:"events,omitempty"`

	// Timeout bounds one delivery attempt. Default: 15s.
	Timeout caddy.Duration `json:"timeout,omitempty"`

	// Retry says how failed deliveries are retried.
	// Default: 20 attempts, waits doubling from 5s up to 8h (about two
	// days in all).
	Retry *WebhookRetry `json:"retry,omitempty"`
}

// WebhookRetry is the retry schedule of a webhook: the n-th retry waits a
// random time between half and all of Initial·2^(n-1), at most Max. After
// Attempts attempts the event is dead: kept, logged, and sent again only
// by `caddy pinauth webhooks replay`.
type WebhookRetry struct {
	// Attempts is the number of attempts, the first included. Default: 20.
	Attempts int `json:"attempts,omitempty"`
	// Initial is the longest wait before the first retry. Default: 5s.
	Initial caddy.Duration `json:"initial,omitempty"`
	// Max caps every wait. Default: 8h.
	Max caddy.Duration `json:"max,omitempty"`
}

// webhook parses `webhook <url> { … }`; the directive name is the current
// token. Errors never quote the URL or the secret: either may carry a
// credential.
func (p *parser) webhook() (Webhook, error) {
	d := p.d
	var w Webhook
	if !d.NextArg() {
		return w, d.Err("webhook: a URL is required")
	}
	w.URL = d.Val()
	if d.NextArg() {
		return w, d.Err("webhook: takes one URL, then a block")
	}
	wp := parser{d: d, seen: map[string]bool{}}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		name := d.Val()
		if wp.seen[name] {
			return w, d.Errf("webhook: %s: given more than once", name)
		}
		wp.seen[name] = true
		var err error
		switch name {
		case "secret":
			err = wp.single("webhook: secret", &w.Secret)
		case "events":
			w.Events, err = wp.args("webhook: events", 1, -1)
			if err == nil {
				err = webhook.CheckEvents(w.Events)
				if err != nil {
					err = d.Errf("webhook: events: %v", err)
				}
			}
		case "timeout":
			err = wp.duration("webhook: timeout", &w.Timeout)
		case "retry":
			w.Retry, err = wp.retry()
		default:
			return w, d.Errf("webhook: unknown subdirective (known: secret, events, timeout, retry)")
		}
		if err != nil {
			return w, err
		}
	}
	if w.Secret == "" {
		return w, d.Err("webhook: secret is required")
	}
	return w, nil
}

// retry parses `retry <attempts> [<initial> [<max>]]`.
func (p *parser) retry() (*WebhookRetry, error) {
	d := p.d
	args, err := p.args("webhook: retry", 1, 3)
	if err != nil {
		return nil, err
	}
	r := &WebhookRetry{}
	if r.Attempts, err = p.positiveInt("webhook: retry", args[0]); err != nil {
		return nil, err
	}
	for i, dst := range []*caddy.Duration{&r.Initial, &r.Max} {
		if len(args) > i+1 {
			v, err := caddy.ParseDuration(args[i+1])
			if err != nil || v <= 0 {
				return nil, d.Errf("webhook: retry: invalid duration %q (want e.g. 5s or 8h)", args[i+1])
			}
			*dst = caddy.Duration(v)
		}
	}
	if r.Max != 0 && r.Max < r.Initial {
		return nil, d.Err("webhook: retry: max is less than initial")
	}
	return r, nil
}

// validateWebhooks checks what needs no placeholder expanded; the core
// checks the URL and the key length after expansion.
func validateWebhooks(ws []Webhook) error {
	for i, w := range ws {
		err := func() error {
			if w.URL == "" {
				return errors.New("url is required")
			}
			if w.Secret == "" {
				return errors.New("secret is required")
			}
			if err := webhook.CheckEvents(w.Events); err != nil {
				return err
			}
			if r := w.Retry; w.Timeout < 0 || r != nil && (r.Attempts < 0 || r.Initial < 0 || r.Max < 0) {
				return errors.New("timeout and retry must not be negative")
			}
			return nil
		}()
		if err != nil {
			return fmt.Errorf("webhook %d: %w", i+1, err)
		}
	}
	return nil
}

// coreWebhooks expands and converts ws; tenant is "" for the handler's
// own webhooks.
func coreWebhooks(x *expander, ws []Webhook, tenant string) []webhook.Webhook {
	var out []webhook.Webhook
	for i, w := range ws {
		field := fmt.Sprintf("webhook %d", i+1)
		if tenant != "" {
			field = fmt.Sprintf("tenant %q: %s", tenant, field)
		}
		cw := webhook.Webhook{
			URL:     x.expand(field+": url", w.URL),
			Secret:  x.expand(field+": secret", w.Secret),
			Events:  w.Events,
			Tenant:  tenant,
			Timeout: time.Duration(w.Timeout),
		}
		if r := w.Retry; r != nil {
			cw.Retry = webhook.RetryPolicy{Attempts: r.Attempts, Initial: time.Duration(r.Initial), Max: time.Duration(r.Max)}
		}
		out = append(out, cw)
	}
	return out
}
