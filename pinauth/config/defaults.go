package config

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/hashing"
	"github.com/pinauth/caddy-pinauth/pinauth/identityheaders"
	"github.com/pinauth/caddy-pinauth/pinauth/observe"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/tokens"
)

// The defaults applied by Config.WithDefaults.
const (
	DefaultAccessTTL        = 15 * time.Minute
	DefaultRefreshTTL       = 60 * 24 * time.Hour
	DefaultSessionTTL       = 7 * 24 * time.Hour
	DefaultHeaderPrefix     = identityheaders.DefaultPrefix
	DefaultAPIPrefix        = "/identity/v2"
	DefaultCacheSize        = 64 << 20
	DefaultHashQueueTimeout = 2 * time.Second
	DefaultBodyTimeout      = 10 * time.Second
	// DefaultCacheTTL bounds how long a cached profile, session state or
	// verified token is served when a change made by another process is
	// not announced (see README, "Caching and staleness").
	DefaultCacheTTL = 30 * time.Second
	minPepperLength = 16
	// minAPISecretLength is the shortest API secret accepted: like the
	// pepper, it must resist guessing on its own, since anyone who knows
	// it manages every account of its tenant.
	minAPISecretLength = 16
)

// JWKSPath is where the gateway serves the public signing keys.
const JWKSPath = "/.well-known/jwks.json"

// WithDefaults returns a copy of c with zero values replaced by defaults,
// or an error naming the first invalid field. Error texts never contain
// secret values. The steps run in this order, so the first error is the
// same whichever fields are wrong.
func (c Config) WithDefaults() (Config, error) {
	for _, step := range []func() error{
		c.checkRequired, c.signingDefaults, c.timeDefaults, c.hashDefaults,
		c.guardDefaults, c.httpDefaults, c.hookDefaults, c.tenantDefaults,
		c.resetDefaults, c.loginPageDefaults, c.authRequestDefaults, c.webhookDefaults,
		c.validateAcceptTenants,
	} {
		if err := step(); err != nil {
			return c, err
		}
	}
	return c, nil
}

// checkRequired checks the fields that have no default.
func (c *Config) checkRequired() error {
	if c.Store == nil {
		return errors.New("pinauth: a store is required")
	}
	if len(c.Tenants) == 0 {
		return errors.New("pinauth: at least one tenant is required")
	}
	if len(c.Peppers) == 0 {
		return errors.New("pinauth: pepper is required")
	}
	for i, p := range c.Peppers {
		if len(p) < minPepperLength {
			return fmt.Errorf("pinauth: pepper %d is shorter than %d bytes", i+1, minPepperLength)
		}
	}
	if c.Issuer == "" {
		return errors.New("pinauth: issuer is required")
	}
	return nil
}

// signingDefaults defaults and checks the signing algorithm.
func (c *Config) signingDefaults() error {
	if c.SigningAlg == "" {
		c.SigningAlg = tokens.AlgEdDSA
	}
	if err := tokens.CheckAlg(c.SigningAlg); err != nil {
		return fmt.Errorf("pinauth: signing_alg: %w", err)
	}
	return nil
}

// timeDefaults defaults the lifetimes and timeouts and checks the key
// rotation age.
func (c *Config) timeDefaults() error {
	setDefault(&c.AccessTTL, DefaultAccessTTL)
	setDefault(&c.RefreshTTL, DefaultRefreshTTL)
	setDefault(&c.SessionTTL, DefaultSessionTTL)
	setDefault(&c.HashQueueTimeout, DefaultHashQueueTimeout)
	setDefault(&c.BodyTimeout, DefaultBodyTimeout)
	setDefault(&c.CacheTTL, DefaultCacheTTL)
	if err := tokens.CheckRotation(c.KeyRotation); err != nil {
		return fmt.Errorf("pinauth: %w", err)
	}
	return nil
}

// hashDefaults defaults and checks the hash cost and concurrency.
func (c *Config) hashDefaults() error {
	if c.Hash == (hashing.Params{}) {
		c.Hash = hashing.DefaultParams
	}
	if err := c.Hash.Validate(); err != nil {
		return fmt.Errorf("pinauth: %w", err)
	}
	if c.MaxConcurrentHashes <= 0 {
		c.MaxConcurrentHashes = runtime.NumCPU()
	}
	return nil
}

// guardDefaults defaults the lockout, the rate limit and the captcha,
// which the captcha lock type requires.
func (c *Config) guardDefaults() error {
	if c.Lockout.Attempts <= 0 {
		c.Lockout.Attempts = 5
	}
	setDefault(&c.Lockout.Window, 15*time.Minute)
	setDefault(&c.Lockout.Duration, 15*time.Minute)
	if c.Lockout.Type == store.LockNone {
		c.Lockout.Type = store.LockSuspend
	}
	c.RateLimit = c.RateLimit.WithDefaults()
	if c.Captcha == nil {
		if c.Lockout.Type == store.LockCaptcha {
			return errors.New("pinauth: lockout type captcha needs a captcha provider")
		}
		return nil
	}
	cc, err := c.Captcha.WithDefaults(c.Lockout.Attempts)
	if err != nil {
		return fmt.Errorf("pinauth: captcha: %w", err)
	}
	c.Captcha = &cc
	return nil
}

// httpDefaults defaults the identity headers, the cache and the API
// prefix, and checks the header preset.
func (c *Config) httpDefaults() error {
	if c.HeaderPrefix == "" {
		c.HeaderPrefix = DefaultHeaderPrefix
	}
	if err := identityheaders.ValidatePreset(c.HeaderPreset); err != nil {
		return fmt.Errorf("pinauth: header_preset: %w", err)
	}
	if c.CacheSize <= 0 {
		c.CacheSize = DefaultCacheSize
	}
	if c.APIPrefix == "" {
		c.APIPrefix = DefaultAPIPrefix
	}
	c.APIPrefix = "/" + strings.Trim(c.APIPrefix, "/")
	return nil
}

// hookDefaults defaults the observer, logger, clock and request hooks.
func (c *Config) hookDefaults() error {
	if c.Observer == nil {
		c.Observer = observe.Nop{}
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.ClientIP == nil {
		c.ClientIP = RemoteHost
	}
	if c.TrustedPeer == nil {
		c.TrustedPeer = func(*http.Request) bool { return false }
	}
	if c.TrustedProxy == nil {
		c.TrustedProxy = func(*http.Request) bool { return false }
	}
	return nil
}

// UnderAPIPrefix reports whether p is APIPrefix or a path below it, in
// any letter case: a path the gateway answers as an API call.
func (c *Config) UnderAPIPrefix(p string) bool {
	prefix := c.APIPrefix
	if len(p) < len(prefix) || !strings.EqualFold(p[:len(prefix)], prefix) {
		return false
	}
	return len(p) == len(prefix) || p[len(prefix)] == '/'
}

// RemoteHost is the default Config.ClientIP: the host part of
// r.RemoteAddr (the peer's address, whatever it forwards).
func RemoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// setDefault sets *d to def when it is not positive.
func setDefault(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}
