package caddymodule

import (
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/pinauth/caddy-pinauth/pinauth/captcha"
	"github.com/pinauth/caddy-pinauth/pinauth/observe"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// The Caddy events the handler emits, for other modules to react to (an
// events subscriber can run a command, notify, block an IP…).
const (
	// EventLoginFailed is emitted for every failed credential check, with
	// data tenant, uid ("" for an unknown account), client_ip and reason.
	EventLoginFailed = "pin_auth.login_failed"
	// EventAccountLocked is emitted when an account is locked, with data
	// tenant, uid, client_ip, lock_type and until (RFC 3339).
	EventAccountLocked = "pin_auth.account_locked"
)

// eventEmitter is what the handler needs of Caddy's events app.
type eventEmitter interface {
	ShouldEmit(name string) bool
	Emit(ctx caddy.Context, name string, data map[string]any) caddy.Event
}

// observer turns what the core reports into Prometheus metrics and Caddy
// events. The per-request methods only add to pre-bound counters.
type observer struct {
	m      *metricsSet
	logins map[string]tenantLogins
	events eventEmitter // nil: no events app
	ctx    caddy.Context
}

// newObserver builds the observer of a handler with tenants and, when a
// captcha is configured, its provider ("" for none).
func newObserver(m *metricsSet, tenants []string, captchaProvider string, events eventEmitter, ctx caddy.Context) *observer {
	o := &observer{m: m, logins: map[string]tenantLogins{}, events: events, ctx: ctx}
	for _, t := range tenants {
		o.logins[t] = m.loginCounters(t)
		// Created at zero, so the families are on the endpoint from the
		// start and rate() and increase() see the first lockout.
		for _, lt := range store.LockTypes {
			m.lockouts.WithLabelValues(t, string(lt))
		}
		for _, why := range observe.APISecretRefusals {
			m.secretRefused.WithLabelValues(t, why.String())
		}
	}
	if captchaProvider != "" {
		for _, r := range captcha.Results {
			m.captcha.WithLabelValues(captchaProvider, r.String())
		}
	}
	return o
}

// Login implements observe.Observer.
func (o *observer) Login(tenant string, method observe.LoginMethod, result observe.LoginResult) {
	if c, ok := o.logins[tenant]; ok {
		c[method][result].Inc()
		return
	}
	o.m.logins.WithLabelValues(tenant, method.String(), result.String()).Inc()
}

// CredentialFailed implements observe.Observer: the login_failed event.
func (o *observer) CredentialFailed(f observe.CredentialFailure) {
	if o.events == nil || !o.events.ShouldEmit(EventLoginFailed) {
		return // nobody listens: build nothing
	}
	o.events.Emit(o.ctx, EventLoginFailed, map[string]any{
		"tenant": f.Tenant, "uid": f.UID, "client_ip": f.ClientIP, "reason": f.Reason,
	})
}

// APISecretRefused implements observe.Observer.
func (o *observer) APISecretRefused(tenant string, why observe.APISecretRefusal) {
	o.m.secretRefused.WithLabelValues(tenant, why.String()).Inc()
}

// AccountLocked implements observe.Observer.
func (o *observer) AccountLocked(l observe.AccountLock) {
	o.m.lockouts.WithLabelValues(l.Tenant, string(l.Type)).Inc()
	if o.events == nil || !o.events.ShouldEmit(EventAccountLocked) {
		return
	}
	o.events.Emit(o.ctx, EventAccountLocked, map[string]any{
		"tenant": l.Tenant, "uid": l.UID, "client_ip": l.ClientIP, "lock_type": string(l.Type),
		"until": l.Until.UTC().Format(time.RFC3339),
	})
}

// TokenVerified implements observe.Observer. It runs on every proxied
// request: one atomic add, nothing allocated.
func (o *observer) TokenVerified(result observe.TokenResult, cached bool) {
	i := 0
	if cached {
		i = 1
	}
	o.m.tokenCounters[result][i].Inc()
}

// CaptchaVerified implements observe.Observer.
func (o *observer) CaptchaVerified(provider string, result captcha.Result) {
	o.m.captcha.WithLabelValues(provider, result.String()).Inc()
}

// HashWaited implements observe.Observer.
func (o *observer) HashWaited(d time.Duration) { o.m.hashWait.Observe(d.Seconds()) }

// StoreCall implements observe.Observer.
func (o *observer) StoreCall(op observe.StoreOp, d time.Duration, failed bool) {
	o.m.storeObs[op].Observe(d.Seconds())
	if failed {
		o.m.storeErrs[op].Inc()
	}
}

// WebhookDelivered implements observe.Observer.
func (o *observer) WebhookDelivered(result webhook.Result) {
	o.m.webhookCounts[result].Inc()
}

var _ observe.Observer = (*observer)(nil)
