// Package config is the gateway's configuration: Config and Tenant, the
// defaults a zero field gets, and the checks New runs before it starts
// anything (Config.WithDefaults). It gathers the configuration types of
// the packages that each own one concern (captcha, hashing, loginpage,
// notify, ratelimit, webhook) and checks them against each other: the
// tenants the login page, the webhooks and AcceptTenants name must exist.
// Errors name the field at fault and never carry a secret value.
//
// It imports those packages and the leaves, never the core (pinauth), which
// reads a Config with its defaults applied.
package config

import (
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/captcha"
	"github.com/pinauth/caddy-pinauth/pinauth/hashing"
	"github.com/pinauth/caddy-pinauth/pinauth/loginpage"
	"github.com/pinauth/caddy-pinauth/pinauth/notify"
	"github.com/pinauth/caddy-pinauth/pinauth/observe"
	"github.com/pinauth/caddy-pinauth/pinauth/ratelimit"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// Config is everything a Gateway needs. The Caddy adapter fills it from the
// Caddyfile; Go programs may fill it directly. Zero durations and sizes take
// the defaults named on each field.
type Config struct {
	// Tenants are the apps served; the request's API key selects one.
	// Required: at least one.
	Tenants []Tenant

	// Store holds accounts, tokens, keys and events. Required. The Gateway
	// does not close it: its owner does.
	Store store.Store

	// Peppers are server-side secrets mixed into every hash; the first
	// signs and hashes, the others only verify (then the hash is upgraded).
	// Required: at least one, each at least 16 bytes.
	Peppers []string

	// Issuer is the JWT "iss". Required.
	Issuer string
	// SigningAlg is EdDSA, ES256, RS256 or HS256. Default: EdDSA.
	SigningAlg string
	// SigningKey is an optional operator-supplied key: a PEM private key
	// (EdDSA, ES256, RS256) or a secret of at least 32 bytes (HS256). When
	// empty a key is generated on first start and stored encrypted.
	SigningKey string

	// AccessTTL is the access-token lifetime. Default: 15m.
	AccessTTL time.Duration
	// RefreshTTL is the refresh-token (and login session) lifetime.
	// Default: 60 days.
	RefreshTTL time.Duration
	// SessionTTL is the PIN session_token lifetime. Default: 7 days.
	SessionTTL time.Duration
	// KeyRotation, when set, rotates the generated signing key once it is
	// that old (at least a minute); one node of a cluster does it, the
	// others pick the new key up. Default: 0 (rotate with the CLI only).
	KeyRotation time.Duration

	// Hash sets the argon2id cost. Default: hashing.DefaultParams.
	Hash hashing.Params
	// MaxConcurrentHashes bounds hashes in flight; the rest wait in a
	// queue that is fair per client address. Default: number of CPUs.
	MaxConcurrentHashes int
	// HashQueueTimeout is how long a request waits for a hashing slot before
	// it gets a 503. Default: 2s.
	HashQueueTimeout time.Duration
	// BodyTimeout bounds how long the gateway waits for a request body it
	// reads itself (API calls, login page forms), counted from when it
	// starts reading: a client trickling bytes gets a 408 instead of
	// holding the request open. Default: 10s.
	BodyTimeout time.Duration

	// Lockout is the brute-force policy. Default: 5 failures in 15m lock
	// the account (suspend) for 15m.
	Lockout LockoutPolicy
	// RateLimit bounds the credential checks (logins, PIN set, change and
	// reset, OTP and answer checks) per client IP; token validation and
	// API-secret calls are not limited. Default: 300 per minute.
	RateLimit ratelimit.Policy
	// RateLimiter holds the rate limit's per-client state. Pass the same
	// one to successive Gateways (a configuration reload) to keep the
	// counts. Default: a new one.
	RateLimiter *ratelimit.Limiter
	// Captcha, when set, requires solved captchas on credential checks
	// as it says. Required when Lockout.Type is store.LockCaptcha.
	// Default: none.
	Captcha *captcha.Config

	// Public lists paths served without a token: exact paths, or prefixes
	// ending in "/" or "*". Only a path's canonical spelling is public
	// (see pinauth.Gateway.Public); rules that no canonical path could match are
	// refused. The API prefix and the JWKS path are always public.
	Public []string
	// AcceptTenants, when set, limits the protected path to the access
	// tokens of these tenants (names of Tenants): a valid token of any
	// other tenant of this gateway is refused there (905) as it would be
	// on a site of its own, and an anonymous request to a public path
	// passes as usual. The API still serves every tenant. Default: the
	// tokens of every tenant pass.
	AcceptTenants []string
	// HeaderPrefix prefixes the identity headers set for upstream; client
	// copies are always removed. Default: "X-Auth-".
	HeaderPrefix string
	// HeaderPreset also sets another gateway's identity headers:
	// identityheaders.PresetAuthelia, PresetOAuth2Proxy or
	// PresetAuthentik. Client-sent copies of every preset's headers are
	// always removed. Default: none.
	HeaderPreset string
	// WithholdToken stops the access token being forwarded upstream in
	// Authorization (the Caddyfile's forward_token false). Default: false.
	WithholdToken bool
	// CacheSize is the ristretto budget in bytes. Default: 64 MiB.
	CacheSize int64
	// APIPrefix is where the LoginRadius-style API is served. Default:
	// "/identity/v2".
	APIPrefix string

	// Webhooks receive events through the outbox.
	Webhooks []webhook.Webhook
	// WebhookPollInterval is how often the webhook dispatcher looks for
	// due events when nothing else wakes it. Default: 1s.
	WebhookPollInterval time.Duration
	// WebhookRetention is how long delivered events stay in the outbox
	// before they are pruned. Default: 7 days.
	WebhookRetention time.Duration
	// NoDelivery records webhook events in the outbox without delivering
	// them: for tools, such as the CLI, that change a store whose running
	// gateways deliver. Default: false.
	NoDelivery bool

	// LoginPage enables the built-in login page; nil disables it.
	LoginPage *loginpage.Config

	// Observer is told what the gateway does, for metrics and events.
	// Default: observe.Nop.
	Observer observe.Observer

	// Email sends the PIN reset emails (reset links and email OTPs); nil
	// disables the forgot-PIN calls by email and username.
	Email *notify.EmailConfig
	// SMS sends the PIN reset OTPs by SMS; nil disables forgot-PIN by
	// phone.
	SMS *notify.SMSConfig
	// MessageTemplates is a directory whose files replace the built-in
	// templates of PIN reset messages of the same name and add template
	// sets that emailtemplate and smstemplate may select (see
	// package notify). Default: the built-in templates only.
	MessageTemplates string
	// ResetTokenTTL is the lifetime of an emailed PIN or password reset
	// token.
	// Default: 15m.
	ResetTokenTTL time.Duration
	// OTPTTL is the lifetime of a PIN reset OTP. Default: 10m.
	OTPTTL time.Duration
	// DeleteTokenTTL is the lifetime of the token of an emailed account
	// deletion link (DELETE /auth/account). Default: 30m.
	DeleteTokenTTL time.Duration

	// Logger receives the gateway's logs. Default: a no-op logger.
	Logger *zap.Logger
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// ClientIP returns the client address of a request (the Caddy adapter
	// passes Caddy's client_ip, which honours trusted_proxies). Default:
	// the host part of r.RemoteAddr.
	ClientIP func(r *http.Request) string
	// TrustedPeer reports whether a request comes straight from a trusted
	// proxy speaking for itself (not relaying another client's request):
	// such a server-to-server call may name the end user it acts for in
	// X-Origin-IP and X-Origin-User-Agent (see the core's origin.go). The Caddy adapter
	// passes "the peer is in the server's trusted_proxies and forwarded no
	// other client address". Default: never.
	TrustedPeer func(r *http.Request) bool
	// TrustedProxy reports whether a request's peer is a proxy whose
	// forwarded headers may be believed: the auth-request endpoint reads
	// the original request from them only then. The Caddy adapter passes
	// "the peer is in the server's trusted_proxies". Default: never.
	TrustedProxy func(r *http.Request) bool
	// AuthRequestPath is where other proxies (nginx auth_request, Caddy
	// forward_auth, Traefik ForwardAuth) ask whether the request they
	// hold may pass (see Gateway.Handle). Default: "" (off).
	AuthRequestPath string

	// CacheTTL bounds how long a cached profile, session state or
	// verified token is served when a change made by another process is
	// not announced (see README, "Caching and staleness"); tests shorten
	// it to watch an entry expire. Default: DefaultCacheTTL.
	CacheTTL time.Duration
}

// LockoutPolicy is what happens after repeated credential failures.
type LockoutPolicy struct {
	// Attempts is how many failures lock the account. Default: 5.
	Attempts int
	// Window is how long failures are counted. Default: 15m.
	Window time.Duration
	// Duration is how long a suspend or captcha lock lasts. Default: 15m.
	Duration time.Duration
	// Type is the lock applied. Default: store.LockSuspend.
	Type store.LockType
}
