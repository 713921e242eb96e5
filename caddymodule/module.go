// Package caddymodule is the thin Caddy adapter of caddy-pinauth: it
// registers the http.handlers.pin_auth module and the pin_auth Caddyfile
// directive, turns the module's JSON config into a pinauth config.Config in
// Provision, and hands every request to the Caddy-free core in package
// pinauth.
package caddymodule

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"go.uber.org/zap"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyevents"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/pinauth/caddy-pinauth/pinauth"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

func init() {
	caddy.RegisterModule(Handler{})
}

// Handler makes Caddy an authentication gateway with PIN login: it serves a
// LoginRadius-compatible identity API under api_prefix and lets any other
// request through only with a valid access token, setting identity headers
// and the {http.auth.user.*} placeholders for the handlers after it.
//
// Every secret (api_key, api_secret, pepper, signing_key) and the store
// path accept the {env.*} and {file.*} placeholders, expanded once in
// Provision.
type Handler struct {
	// Tenants are the apps served; the request's apikey selects one.
	// Required: at least one.
	Tenants []Tenant `json:"tenants,omitempty"`

	// Store is where accounts, tokens, keys and events live.
	// Default: SQLite at pinauth.db in Caddy's data directory.
	Store *Store `json:"store,omitempty"`

	// Peppers are server-side secrets mixed into every PIN, password and
	// answer hash, each at least 16 bytes. The first hashes; the others
	// only verify (the hash is then upgraded to the first). Required.
	Peppers []string `json:"peppers,omitempty"`

	// Issuer is the JWT "iss" claim. Default: "caddy-pinauth" (a handler
	// cannot see its site address, so the default is a constant that is
	// the same on every node and across reloads).
	Issuer string `json:"issuer,omitempty"`

	// SigningAlg is the JWT algorithm: EdDSA, ES256, RS256 or HS256.
	// Default: EdDSA.
	SigningAlg string `json:"signing_alg,omitempty"`

	// SigningKey is an optional key: a PEM private key, or an HS256 secret
	// of at least 32 bytes. Default: a key generated on first start and
	// stored encrypted.
	SigningKey string `json:"signing_key,omitempty"`

	// AccessTTL is the access-token lifetime. Default: 15m.
	AccessTTL caddy.Duration `json:"access_ttl,omitempty"`

	// RefreshTTL is the refresh-token and login-session lifetime.
	// Default: 60d.
	RefreshTTL caddy.Duration `json:"refresh_ttl,omitempty"`

	// SessionTTL is the PIN session_token lifetime. Default: 7d.
	SessionTTL caddy.Duration `json:"session_ttl,omitempty"`

	// KeyRotation rotates the generated signing key automatically once it
	// is this old (at least 1m): new tokens get the new key, tokens of the
	// retired key verify until they expire. In a cluster one node rotates
	// and the others follow. `caddy pinauth keys rotate` rotates by hand.
	// Default: 0 (no automatic rotation).
	KeyRotation caddy.Duration `json:"key_rotation,omitempty"`

	// Hash sets the cost of PIN, password and answer hashing.
	// Default: argon2id with time 3, 19456 KiB, 1 thread.
	Hash *Hash `json:"hash,omitempty"`

	// MaxConcurrentHashes bounds the hashes computed at once, which bounds
	// memory (memory_kib per hash) and CPU. Checks beyond it wait in a
	// queue that is fair per client address. Default: the number of CPUs.
	MaxConcurrentHashes int `json:"max_concurrent_hashes,omitempty"`

	// Lockout is the brute-force policy per account.
	// Default: 5 failures within 15m suspend the account for 15m.
	Lockout *Lockout `json:"lockout,omitempty"`

	// RateLimit bounds credential checks per client IP (Caddy's client
	// IP, which honours the server's trusted_proxies).
	// Default: 300 per minute.
	RateLimit *RateLimit `json:"rate_limit,omitempty"`

	// Captcha requires solved captchas on credential checks.
	// Default: none (required when the lockout type is captcha).
	Captcha *Captcha `json:"captcha,omitempty"`

	// Public lists paths served without a token: exact paths, or prefixes
	// ending in "/" or "*". Only a path's canonical spelling is public
	// (SECURITY.md, "Public paths"): a request whose path has dot or empty
	// segments, ";" parameters, an encoded "/", "." or "\", a needless or
	// lower-case escape, or another case needs a token. The API prefix and
	// /.well-known/jwks.json are always public. Default: none.
	Public []string `json:"public,omitempty"`

	// AcceptTenants limits the protected path to the access tokens of
	// these tenants: a valid token of another tenant of this block gets
	// 905, as on a site of its own (the API still serves every tenant;
	// the login page's tenant must be one of them). Use it when one
	// pin_auth block serves several apps and this site is one of them.
	// Default: the tokens of every tenant pass.
	AcceptTenants []string `json:"accept_tenants,omitempty"`

	// HeaderPrefix prefixes the identity headers set for the upstream
	// (X-Auth-Uid …). Client-sent headers with this prefix are always
	// removed. Default: "X-Auth-".
	HeaderPrefix string `json:"header_prefix,omitempty"`

	// HeaderPreset also sets another gateway's identity headers, so apps
	// written for it move over unchanged: "authelia" (Remote-User,
	// Remote-Email, Remote-Name, Remote-Groups), "oauth2-proxy"
	// (X-Forwarded-User, X-Forwarded-Email, X-Forwarded-Preferred-Username,
	// X-Forwarded-Groups) or "authentik" (X-authentik-username, -email,
	// -name, -uid, -groups). Client-sent copies of every preset's headers
	// are removed whether a preset is set or not. Default: none.
	HeaderPreset string `json:"header_preset,omitempty"`

	// ForwardToken passes the access token upstream in Authorization.
	// Default: true.
	ForwardToken *bool `json:"forward_token,omitempty"`

	// CacheSize is the in-memory cache budget in bytes. Default: 64 MiB.
	CacheSize int64 `json:"cache_size,omitempty"`

	// APIPrefix is where the identity API is served.
	// Default: "/identity/v2".
	APIPrefix string `json:"api_prefix,omitempty"`

	// AuthRequest is the path where other proxies ask whether the
	// request they hold may pass: nginx's auth_request, Caddy's
	// forward_auth and Traefik's ForwardAuth (docs/auth-request.md). It
	// answers only peers in the server's trusted_proxies, whose forwarded
	// headers name the original method and URI. Default: off.
	AuthRequest string `json:"auth_request,omitempty"`

	// LoginPage enables the built-in login page for browsers.
	// Default: disabled.
	LoginPage *LoginPage `json:"login_page,omitempty"`

	// Cookie names and scopes the login page's cookies; it needs
	// login_page. Default: __Host-pinauth, Secure, host-only.
	Cookie *Cookie `json:"cookie,omitempty"`

	// Webhooks receive signed deliveries of every tenant's events.
	// Default: none.
	Webhooks []Webhook `json:"webhooks,omitempty"`

	// Email is the SMTP server of PIN reset emails. Default: none
	// (forgot-PIN by email and username answer 1233).
	Email *Email `json:"email,omitempty"`

	// SMS is the HTTP SMS provider of PIN reset OTPs. Default: none
	// (forgot-PIN by phone answers 1233).
	SMS *SMS `json:"sms,omitempty"`

	// ResetTokenTTL is the lifetime of an emailed PIN reset token.
	// Default: 15m.
	ResetTokenTTL caddy.Duration `json:"reset_token_ttl,omitempty"`

	// OTPTTL is the lifetime of a PIN reset OTP. Default: 10m.
	OTPTTL caddy.Duration `json:"otp_ttl,omitempty"`

	// DeleteTokenTTL is the lifetime of the token of an emailed account
	// deletion link (DELETE /auth/account). Default: 30m.
	DeleteTokenTTL caddy.Duration `json:"delete_token_ttl,omitempty"`

	gw         *pinauth.Gateway
	store      store.Store // for the outbox gauge
	storeKey   string
	limiterKey string
	logger     *zap.Logger
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.pin_auth",
		New: func() caddy.Module { return new(Handler) },
	}
}

// Provision expands placeholders, converts the config for the core, opens
// (or reuses, across reloads) the store and builds the gateway.
func (h *Handler) Provision(ctx caddy.Context) error {
	h.logger = ctx.Logger()

	// Caddy validates only after provisioning; check first so that a bad
	// config never creates a database file or generates signing keys.
	if err := h.Validate(); err != nil {
		return err
	}
	repl := caddy.NewReplacer()
	cfg, spec, err := h.coreConfig(repl)
	if err != nil {
		return err
	}
	warnDevDefaults(h.logger, h.devDefaults(repl))
	st, key, err := acquireStore(spec, h.logger)
	if err != nil {
		return err
	}
	h.storeKey = key
	cfg.Store = st
	cfg.Logger = h.logger
	cfg.ClientIP = clientIP
	cfg.TrustedPeer = trustedPeer
	cfg.TrustedProxy = trustedProxy
	// The per-IP counts belong to the store's users and outlive this
	// config: a reload must not hand every client a fresh budget.
	cfg.RateLimiter, h.limiterKey = acquireRateLimiter(key)
	if err := metrics.register(ctx.GetMetricsRegistry()); err != nil {
		return fmt.Errorf("registering metrics: %w", err)
	}
	tenants := make([]string, len(cfg.Tenants))
	for i, t := range cfg.Tenants {
		tenants[i] = t.Name
	}
	captchaProvider := ""
	if cfg.Captcha != nil {
		captchaProvider = cfg.Captcha.Provider
	}
	cfg.Observer = newObserver(metrics, tenants, captchaProvider, eventsApp(ctx), ctx)

	gw, err := pinauth.New(cfg)
	if err != nil {
		// Caddy calls Cleanup after a failed Provision, which releases
		// the store acquired above.
		return err
	}
	h.gw, h.store = gw, st
	metrics.live.add(h)
	h.logger.Debug("pin_auth provisioned",
		zap.Int("tenants", len(cfg.Tenants)),
		zap.String("store", spec.backend))
	return nil
}

// Validate reports configuration errors that need no placeholder expanded
// and no store opened; the core checks the rest in Provision.
func (h *Handler) Validate() error {
	return h.validate()
}

// Cleanup stops the gateway and releases this config's use of the store.
// It is safe after a partial or failed Provision and safe to call twice.
func (h *Handler) Cleanup() error {
	var errs []error
	metrics.live.remove(h)
	if h.gw != nil {
		// h.gw stays: the old servers may still finish requests after
		// Cleanup (caddyhttp's Stop returns once their graceful
		// shutdowns start), and a closed Gateway answers them. Close is
		// idempotent.
		errs = append(errs, h.gw.Close())
	}
	if h.limiterKey != "" {
		errs = append(errs, releaseRateLimiter(h.limiterKey))
		h.limiterKey = ""
	}
	if h.storeKey != "" {
		errs = append(errs, releaseStore(h.storeKey))
		h.storeKey = ""
	}
	return errors.Join(errs...)
}

// ServeHTTP lets the core answer API calls and unauthenticated requests.
// Authenticated requests continue to next with the {http.auth.user.*}
// placeholders set; anonymous requests to public paths continue without
// them.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	id, ok := h.gw.Handle(w, r)
	if !ok {
		return nil
	}
	if id == nil {
		return next.ServeHTTP(w, r)
	}
	// The placeholders are answered on demand: one provider per request
	// costs one small allocation, where seven Set calls cost seven boxed
	// values, locks and map writes on every request, and most configs
	// never read them.
	repl := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	repl.Map(identityPlaceholders(id))
	return next.ServeHTTP(w, r)
}

// identityPlaceholders answers {http.auth.user.*} from id (shared and
// immutable, so reading it later is safe).
func identityPlaceholders(id *pinauth.Identity) caddy.ReplacerFunc {
	return func(key string) (any, bool) {
		name, ok := strings.CutPrefix(key, "http.auth.user.")
		if !ok {
			return nil, false
		}
		switch name {
		case "id":
			return id.UID, true
		case "tenant":
			return id.Tenant, true
		case "email":
			return id.Email, true
		case "username":
			return id.Username, true
		case "name":
			return id.Name, true
		case "roles":
			return id.Roles, true
		case "session":
			return id.Session, true
		}
		return nil, false
	}
}

// clientIP returns Caddy's client_ip variable, which honours the server's
// trusted_proxies, so that rate limits and logs never trust a spoofable
// X-Forwarded-For from an untrusted peer.
func clientIP(r *http.Request) string {
	if ip, ok := caddyhttp.GetVar(r.Context(), caddyhttp.ClientIPVarKey).(string); ok && ip != "" {
		return ip
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// trustedPeer reports a request that comes straight from one of the
// server's trusted_proxies speaking for itself: the peer is trusted and
// forwarded no other client's address (client_ip is the peer). Such a
// server-to-server call may name its end user in X-Origin-IP. A trusted
// proxy relaying a browser's request (client_ip from X-Forwarded-For) is
// not one, so a browser cannot pass X-Origin-IP through it.
func trustedPeer(r *http.Request) bool {
	if !trustedProxy(r) {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	peer, err1 := netip.ParseAddr(host)
	client, err2 := netip.ParseAddr(clientIP(r))
	return err1 == nil && err2 == nil && peer.WithZone("").Unmap() == client.WithZone("").Unmap()
}

// trustedProxy reports whether a request's peer is in the server's
// trusted_proxies (Caddy's own test, the one that lets it read
// X-Forwarded-For): only such a proxy may name the original request of an
// auth request.
func trustedProxy(r *http.Request) bool {
	trusted, _ := caddyhttp.GetVar(r.Context(), caddyhttp.TrustedProxyVarKey).(bool)
	return trusted
}

// Interface guards
var (
	_ caddy.Module                = (*Handler)(nil)
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.Validator             = (*Handler)(nil)
	_ caddy.CleanerUpper          = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
	_ caddyfile.Unmarshaler       = (*Handler)(nil)
)

// eventsApp returns Caddy's events app, through which the handler emits
// pin_auth.login_failed and pin_auth.account_locked, or nil without one
// (a context built outside a Caddy config, as in tests).
func eventsApp(ctx caddy.Context) (e eventEmitter) {
	defer func() {
		if recover() != nil {
			e = nil
		}
	}()
	app, err := ctx.App("events")
	if err != nil {
		return nil
	}
	if ev, ok := app.(*caddyevents.App); ok {
		return ev
	}
	return nil
}
