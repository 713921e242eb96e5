package pinauth

import (
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/captcha"
	"github.com/pinauth/caddy-pinauth/pinauth/hashing"
	"github.com/pinauth/caddy-pinauth/pinauth/identityheaders"
	"github.com/pinauth/caddy-pinauth/pinauth/loginpage"
	"github.com/pinauth/caddy-pinauth/pinauth/notify"
	"github.com/pinauth/caddy-pinauth/pinauth/ratelimit"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/tokens"
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
	// (see Gateway.Public); rules that no canonical path could match are
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
	// Default: NopObserver.
	Observer Observer

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
	// X-Origin-IP and X-Origin-User-Agent (see origin.go). The Caddy adapter
	// passes "the peer is in the server's trusted_proxies and forwarded no
	// other client address". Default: never.
	TrustedPeer func(r *http.Request) bool

	// cacheTTL replaces DefaultCacheTTL; tests shorten it to watch an
	// entry expire.
	cacheTTL time.Duration
}

// Tenant is one app's configuration.
type Tenant struct {
	// Name identifies the tenant; it is the JWT audience. Required.
	Name string
	// APIKeys select the tenant; several allow rotation. Required.
	APIKeys []string
	// APISecret authorizes /manage calls: at least minAPISecretLength
	// bytes, and none of the tenant's API keys (which are public). A
	// LoginRadius secret (a UUID) qualifies. Required.
	APISecret string
	// PlanExpires, when set, ends service: every call gets 6003 after it.
	PlanExpires time.Time
	// PINOptional lets accounts without a PIN log in with their password
	// alone (the Caddyfile's pin_required false). Default: false.
	PINOptional bool
	// PINMinLength and PINMaxLength bound PIN length. Default: 4 and 6.
	PINMinLength int
	PINMaxLength int
	// AllowWeakPINs accepts PINs of one repeated digit or a straight run.
	AllowWeakPINs bool
	// AllowedOrigins are where reset links and login redirects may point.
	AllowedOrigins []string
	// MFA is "security_question" to require a security answer after the
	// password, or "" for none.
	MFA string
	// SecurityQuestions are the questions users may answer.
	SecurityQuestions []SecurityQuestion
	// ResetPINURL is where PIN reset links point when a forgot-PIN call
	// names no resetpinurl; it must be on one of AllowedOrigins.
	// Default: none (the call must name one).
	ResetPINURL string
	// PINResetEmail is PINResetByLink (forgot-PIN by email or username
	// sends a link with a reset token) or PINResetByOTP (it sends a
	// 6-digit OTP for /auth/pin/reset/otp/…). Default: PINResetByLink.
	PINResetEmail string
	// PasswordResetEmail is PINResetByLink (forgot password sends a link
	// with a reset token, for PUT /auth/password/reset with ResetToken)
	// or PINResetByOTP (it sends a 6-digit OTP, for the same call with Otp
	// and Email or UserName). Default: PINResetByLink.
	PasswordResetEmail string
	// MessageTemplates is a directory of message templates for this
	// tenant, over Config.MessageTemplates and the built-in ones.
	MessageTemplates string
	// TemplateAliases map template names that apps send in emailtemplate
	// and smstemplate (LoginRadius's template names) to this tenant's
	// template sets. A name that is neither an alias nor a set selects the
	// call's built-in set. Default: none.
	TemplateAliases map[string]string
	// TokenFormat is what clients receive as access_token: TokenFormatJWT,
	// the signed JWT itself, or TokenFormatUUID, a UUID-shaped opaque
	// handle for typed SDKs that model the token as a UUID (the protected
	// path then forwards a JWT minted for the handle upstream). Both forms
	// are accepted whatever the setting, so changing it logs nobody out.
	// Default: TokenFormatJWT.
	TokenFormat string
}

// SecurityQuestion is one question a tenant offers.
type SecurityQuestion struct {
	ID   string
	Text string
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

// The defaults applied by Config.withDefaults.
const (
	DefaultAccessTTL        = 15 * time.Minute
	DefaultRefreshTTL       = 60 * 24 * time.Hour
	DefaultSessionTTL       = 7 * 24 * time.Hour
	DefaultHeaderPrefix     = identityheaders.DefaultPrefix
	DefaultAPIPrefix        = "/identity/v2"
	DefaultCacheSize        = 64 << 20
	DefaultHashQueueTimeout = 2 * time.Second
	DefaultBodyTimeout      = 10 * time.Second
	minPepperLength         = 16
	// minAPISecretLength is the shortest API secret accepted: like the
	// pepper, it must resist guessing on its own, since anyone who knows
	// it manages every account of its tenant.
	minAPISecretLength = 16
)

// withDefaults returns a copy of c with zero values replaced by defaults,
// or an error naming the first invalid field. Error texts never contain
// secret values.
func (c Config) withDefaults() (Config, error) {
	if c.Store == nil {
		return c, errors.New("pinauth: a store is required")
	}
	if len(c.Tenants) == 0 {
		return c, errors.New("pinauth: at least one tenant is required")
	}
	if len(c.Peppers) == 0 {
		return c, errors.New("pinauth: pepper is required")
	}
	for i, p := range c.Peppers {
		if len(p) < minPepperLength {
			return c, fmt.Errorf("pinauth: pepper %d is shorter than %d bytes", i+1, minPepperLength)
		}
	}
	if c.Issuer == "" {
		return c, errors.New("pinauth: issuer is required")
	}
	if c.SigningAlg == "" {
		c.SigningAlg = tokens.AlgEdDSA
	}
	if err := tokens.CheckAlg(c.SigningAlg); err != nil {
		return c, fmt.Errorf("pinauth: signing_alg: %w", err)
	}
	setDefault(&c.AccessTTL, DefaultAccessTTL)
	setDefault(&c.RefreshTTL, DefaultRefreshTTL)
	setDefault(&c.SessionTTL, DefaultSessionTTL)
	setDefault(&c.HashQueueTimeout, DefaultHashQueueTimeout)
	setDefault(&c.BodyTimeout, DefaultBodyTimeout)
	if err := tokens.CheckRotation(c.KeyRotation); err != nil {
		return c, fmt.Errorf("pinauth: %w", err)
	}
	if c.Hash == (hashing.Params{}) {
		c.Hash = hashing.DefaultParams
	}
	if err := c.Hash.Validate(); err != nil {
		return c, fmt.Errorf("pinauth: %w", err)
	}
	if c.MaxConcurrentHashes <= 0 {
		c.MaxConcurrentHashes = runtime.NumCPU()
	}
	if c.Lockout.Attempts <= 0 {
		c.Lockout.Attempts = 5
	}
	setDefault(&c.Lockout.Window, 15*time.Minute)
	setDefault(&c.Lockout.Duration, 15*time.Minute)
	if c.Lockout.Type == store.LockNone {
		c.Lockout.Type = store.LockSuspend
	}
	c.RateLimit = c.RateLimit.WithDefaults()
	if c.Captcha != nil {
		cc, err := c.Captcha.WithDefaults(c.Lockout.Attempts)
		if err != nil {
			return c, fmt.Errorf("pinauth: captcha: %w", err)
		}
		c.Captcha = &cc
	} else if c.Lockout.Type == store.LockCaptcha {
		return c, errors.New("pinauth: lockout type captcha needs a captcha provider")
	}
	if c.HeaderPrefix == "" {
		c.HeaderPrefix = DefaultHeaderPrefix
	}
	if err := identityheaders.ValidatePreset(c.HeaderPreset); err != nil {
		return c, fmt.Errorf("pinauth: header_preset: %w", err)
	}
	if c.CacheSize <= 0 {
		c.CacheSize = DefaultCacheSize
	}
	if c.APIPrefix == "" {
		c.APIPrefix = DefaultAPIPrefix
	}
	c.APIPrefix = "/" + strings.Trim(c.APIPrefix, "/")
	if c.Observer == nil {
		c.Observer = NopObserver{}
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.ClientIP == nil {
		c.ClientIP = remoteHost
	}
	if c.TrustedPeer == nil {
		c.TrustedPeer = func(*http.Request) bool { return false }
	}
	seenKeys := map[string]string{}
	seenNames := map[string]bool{}
	tenants := make([]Tenant, len(c.Tenants))
	for i, t := range c.Tenants {
		if t.Name == "" {
			return c, errors.New("pinauth: tenant name is required")
		}
		if seenNames[t.Name] {
			return c, fmt.Errorf("pinauth: tenant %q is defined twice", t.Name)
		}
		seenNames[t.Name] = true
		if len(t.APIKeys) == 0 {
			return c, fmt.Errorf("pinauth: tenant %q: api_key is required", t.Name)
		}
		for _, k := range t.APIKeys {
			if k == "" {
				return c, fmt.Errorf("pinauth: tenant %q: api_key is empty", t.Name)
			}
			if other, dup := seenKeys[k]; dup {
				return c, fmt.Errorf("pinauth: tenant %q: an api_key is also used by tenant %q", t.Name, other)
			}
			seenKeys[k] = t.Name
		}
		if t.APISecret == "" {
			return c, fmt.Errorf("pinauth: tenant %q: api_secret is required", t.Name)
		}
		if len(t.APISecret) < minAPISecretLength {
			return c, fmt.Errorf("pinauth: tenant %q: api_secret is shorter than %d bytes", t.Name, minAPISecretLength)
		}
		if slices.Contains(t.APIKeys, t.APISecret) {
			// The key travels in every browser's requests: a secret equal
			// to it is no secret.
			return c, fmt.Errorf("pinauth: tenant %q: api_secret equals an api_key", t.Name)
		}
		if t.PINMinLength == 0 {
			t.PINMinLength = 4
		}
		if t.PINMaxLength == 0 {
			t.PINMaxLength = max(6, t.PINMinLength)
		}
		if t.PINMinLength < 4 || t.PINMaxLength > 16 || t.PINMinLength > t.PINMaxLength {
			return c, fmt.Errorf("pinauth: tenant %q: pin_length must satisfy 4 <= min <= max <= 16", t.Name)
		}
		if t.MFA != "" && t.MFA != MFASecurityQuestion {
			return c, fmt.Errorf("pinauth: tenant %q: unknown mfa %q", t.Name, t.MFA)
		}
		switch t.TokenFormat {
		case "":
			t.TokenFormat = TokenFormatJWT
		case TokenFormatJWT, TokenFormatUUID:
		default:
			return c, fmt.Errorf("pinauth: tenant %q: unknown token_format %q (want jwt or uuid)", t.Name, t.TokenFormat)
		}
		tenants[i] = t
	}
	c.Tenants = tenants
	if err := c.resetDefaults(); err != nil {
		return c, err
	}
	if c.LoginPage != nil {
		names := make([]string, len(c.Tenants))
		for i, t := range c.Tenants {
			names[i] = t.Name
		}
		lp, err := c.LoginPage.WithDefaults(names, func(p string) bool {
			return hasPathPrefixFold(p, c.APIPrefix) || p == JWKSPath
		})
		if err != nil {
			return c, err
		}
		c.LoginPage = &lp
	}
	if err := validateWebhooks(&c); err != nil {
		return c, err
	}
	if err := c.validateAcceptTenants(seenNames); err != nil {
		return c, err
	}
	return c, nil
}

// validateAcceptTenants checks that AcceptTenants names configured tenants,
// including the login page's: a page whose logins the gate then refused
// would send every browser round in a loop.
func (c *Config) validateAcceptTenants(tenants map[string]bool) error {
	for _, name := range c.AcceptTenants {
		if !tenants[name] {
			return fmt.Errorf("pinauth: accept_tenants: tenant %q is not configured", name)
		}
	}
	if c.LoginPage != nil && len(c.AcceptTenants) > 0 && !slices.Contains(c.AcceptTenants, c.LoginPage.Tenant) {
		return fmt.Errorf("pinauth: accept_tenants: the login page's tenant %q must be accepted", c.LoginPage.Tenant)
	}
	return nil
}

// MFASecurityQuestion is the Tenant.MFA value that requires a security
// answer after the password.
const MFASecurityQuestion = "security_question"

func setDefault(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}
