package pinauth

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
)

// The webhook events (HookName is the lower-cased name).
const (
	HookLogin     = "Login"
	HookSetPIN    = "SetPIN"
	HookChangePIN = "ChangePIN"
	HookResetPIN  = "ResetPIN"
	// HookResetPassword: a password set with an emailed reset token.
	HookResetPassword = "ResetPassword"
	HookBlockAccount  = "BlockAccount"
	HookRegister      = "Register"
	HookUpdateProfile = "UpdateProfile"
	HookDeleteAccount = "DeleteAccount"
)

// Webhook is one subscriber of events.
type Webhook struct {
	// URL receives signed POSTs. Required.
	URL string
	// Secret signs every delivery (Standard Webhooks). Required.
	Secret string
	// Events limits the events sent (names as the Hook constants, any
	// case); empty means all.
	Events []string
	// Tenant limits the webhook to one tenant; "" means every tenant.
	Tenant string
	// Timeout bounds one delivery attempt, from connecting to the end of
	// the response headers. Default: DefaultWebhookTimeout.
	Timeout time.Duration
	// Retry says how often and how far apart failed deliveries are
	// retried. Zero fields take the defaults named on RetryPolicy.
	Retry RetryPolicy
}

// EndpointID names the webhook in the outbox (store.Event.Endpoint): a
// hash of its tenant and URL, stable across restarts and nodes, and free
// of any credential the URL carries.
func (w *Webhook) EndpointID() string {
	sum := sha256.Sum256([]byte(w.Tenant + "\x00" + w.URL))
	return hex.EncodeToString(sum[:8])
}

func (w *Webhook) wants(tenant, hook string) bool {
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

// eventPayload is LoginRadius's webhook body, plus the tenant.
type eventPayload struct {
	HookName string            `json:"HookName"`
	Time     any               `json:"Time"`
	HookID   string            `json:"HookId"`
	Tenant   string            `json:"Tenant"`
	Data     lrprofile.Profile `json:"Data"`
}

// securityHook reports whether hook is a security event: a lock or block,
// a PIN set, changed or reset, a password reset. A caller's prevent_webhook
// never suppresses these, whatever credentials it holds (issue 15, finding
// 9): with the public API key alone, anyone could otherwise guess PINs
// until the account locked, or reset a PIN, without the receiver hearing
// of it. To stop receiving them, leave them out of the webhook's events.
// An app back end deleting accounts with the API secret may still silence
// DeleteAccount, as it may its Register and UpdateProfile.
func securityHook(hook string) bool {
	switch hook {
	case HookBlockAccount, HookSetPIN, HookChangePIN, HookResetPIN, HookResetPassword:
		return true
	}
	return false
}

// withoutNulls drops a profile's empty fields: an event carries what the
// account has, without the hundred nulls of LoginRadius's full profile
// shape, since every event is stored in the outbox until delivered and
// kept for webhook_retention after.
func withoutNulls(p lrprofile.Profile) lrprofile.Profile {
	for k, v := range p {
		if v == nil {
			delete(p, k)
		}
	}
	return p
}
