// Package observe is how the gateway tells the program embedding it what it
// does: the Observer interface, the values it reports (login methods and
// results, credential failures, locks, refused API secrets, token checks,
// store operations) and a store wrapper that times store calls. The core
// reports through it; the Caddy adapter implements it with Prometheus
// metrics and Caddy events. It knows no metrics library and never imports
// the core.
package observe

import (
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/captcha"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// Observer is told what the gateway does, so that the program embedding it
// can count it (the Caddy adapter exports Prometheus metrics) or react to
// it (the adapter emits Caddy events). The core itself knows no metrics
// library. Methods must be cheap, must not block and must be safe for
// concurrent use: they run on request paths, TokenVerified on every
// proxied request. Implementations embed Nop so that methods added later
// cost them nothing.
type Observer interface {
	// Login reports a finished login call of a tenant.
	Login(tenant string, method LoginMethod, result LoginResult)
	// CredentialFailed reports a failed check of a secret (a wrong
	// password, PIN or answer, an unknown account or session token, a
	// missing captcha) or a check refused because the account is locked.
	CredentialFailed(f CredentialFailure)
	// APISecretRefused reports a call refused for its API secret: none,
	// a wrong one, or one from a client that sent too many wrong ones.
	APISecretRefused(tenant string, why APISecretRefusal)
	// AccountLocked reports that an account was locked: once per lock,
	// on the node that locked it.
	AccountLocked(l AccountLock)
	// TokenVerified reports one access-token check of the protected path;
	// cached tells whether the verified token came from the cache.
	TokenVerified(result TokenResult, cached bool)
	// CaptchaVerified reports a captcha checked with its provider.
	CaptchaVerified(provider string, result captcha.Result)
	// HashWaited reports how long a hash or credential check waited for a
	// hashing slot (0 when one was free).
	HashWaited(d time.Duration)
	// StoreCall reports the duration of one store operation.
	StoreCall(op StoreOp, d time.Duration, failed bool)
	// WebhookDelivered reports the outcome of one delivery attempt.
	WebhookDelivered(result webhook.Result)
}

// Nop ignores everything; embed it to implement only some of Observer's
// methods.
type Nop struct{}

// Login implements Observer.
func (Nop) Login(string, LoginMethod, LoginResult) {}

// CredentialFailed implements Observer.
func (Nop) CredentialFailed(CredentialFailure) {}

// APISecretRefused implements Observer.
func (Nop) APISecretRefused(string, APISecretRefusal) {}

// AccountLocked implements Observer.
func (Nop) AccountLocked(AccountLock) {}

// TokenVerified implements Observer.
func (Nop) TokenVerified(TokenResult, bool) {}

// CaptchaVerified implements Observer.
func (Nop) CaptchaVerified(string, captcha.Result) {}

// HashWaited implements Observer.
func (Nop) HashWaited(time.Duration) {}

// StoreCall implements Observer.
func (Nop) StoreCall(StoreOp, time.Duration, bool) {}

// WebhookDelivered implements Observer.
func (Nop) WebhookDelivered(webhook.Result) {}

// CredentialFailure describes a failed credential check.
type CredentialFailure struct {
	Tenant string
	// UID is the account's, "" when none was found.
	UID      string
	ClientIP string
	// Reason is the log's reason: password, pin, pin_change (a wrong
	// OldPIN), pin_reauth, security_answer, otp, unknown_account,
	// invalid_session_token, captcha_missing, captcha_invalid,
	// rate_limited, send_limited_ip, send_limited_identifier, or a
	// checked one with _locked.
	Reason string
}

// AccountLock describes an account that was just locked.
type AccountLock struct {
	Tenant   string
	UID      string
	ClientIP string
	Type     store.LockType
	Until    time.Time
}
