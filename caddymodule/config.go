package caddymodule

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/pinauth/caddy-pinauth/pinauth"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// Tenant is one app served by the gateway.
type Tenant struct {
	// Name identifies the tenant and is the JWT audience. Required.
	Name string `json:"name,omitempty"`

	// APIKeys select this tenant; list several to rotate keys. Required.
	APIKeys []string `json:"api_keys,omitempty"`

	// APISecret authorizes the /manage calls. Required.
	APISecret string `json:"api_secret,omitempty"`

	// PlanExpires is an RFC 3339 time after which every call of this
	// tenant gets error 6003. Default: never.
	PlanExpires string `json:"plan_expires,omitempty"`

	// PINRequired makes a first password login of an account without a PIN
	// answer 1243 with a PINAuthToken. Default: true.
	PINRequired *bool `json:"pin_required,omitempty"`

	// PINMinLength is the shortest PIN accepted. Default: 4.
	PINMinLength int `json:"pin_min_length,omitempty"`

	// PINMaxLength is the longest PIN accepted. Default: 6, or the
	// minimum when that is larger.
	PINMaxLength int `json:"pin_max_length,omitempty"`

	// AllowWeakPINs accepts PINs of one repeated digit or a straight run
	// (1111, 1234). Default: false.
	AllowWeakPINs bool `json:"allow_weak_pins,omitempty"`

	// AllowedOrigins are where reset links and login redirects may point.
	// Default: none.
	AllowedOrigins []string `json:"allowed_origins,omitempty"`

	// MFA is "security_question" to require a security answer after the
	// password. Default: none.
	MFA string `json:"mfa,omitempty"`

	// SecurityQuestions are the questions users may answer. Default: none.
	SecurityQuestions []SecurityQuestion `json:"security_questions,omitempty"`

	// Webhooks receive this tenant's events only. Default: none.
	Webhooks []Webhook `json:"webhooks,omitempty"`

	// ResetPINURL is where PIN reset links point when a forgot-PIN call
	// names no resetpinurl; it must be on one of allowed_origins.
	// Default: none (the call must name one).
	ResetPINURL string `json:"reset_pin_url,omitempty"`

	// PINResetEmail is what forgot-PIN by email or username sends: link
	// (a reset link) or otp (a 6-digit code). Default: link.
	PINResetEmail string `json:"pin_reset_email,omitempty"`

	// MessageTemplates is a directory of PIN reset message templates for
	// this tenant, over the email block's templates. Default: none.
	MessageTemplates string `json:"message_templates,omitempty"`
}

// SecurityQuestion is one question a tenant offers.
type SecurityQuestion struct {
	// ID is the question's stable identifier. Required.
	ID string `json:"id,omitempty"`
	// Text is the question shown to users. Required.
	Text string `json:"text,omitempty"`
}

// LoginPage is the built-in login page.
type LoginPage struct {
	// Path is where the page is served, with its sub-paths.
	// Default: "/login".
	Path string `json:"path,omitempty"`

	// Tenant is the tenant the page logs users into. Default: the first
	// tenant.
	Tenant string `json:"tenant,omitempty"`

	// TemplateDir is a directory whose files replace the page's embedded
	// templates and assets of the same name (layout.html, login.html,
	// pin.html, setpin.html, logout.html, message.html, style.css,
	// app.js); other .css, .js, .png, .svg, .ico and .woff2 files in it
	// are served as extra assets. Default: none.
	TemplateDir string `json:"template_dir,omitempty"`
}

// Cookie configures the login page's cookies. They are always HttpOnly,
// SameSite=Lax and Path=/, and never forwarded upstream.
type Cookie struct {
	// Name is the session cookie's name; the PIN-device and CSRF cookies
	// add -pin and -csrf. Secure cookies get the __Host- prefix, or
	// __Secure- with a domain. Default: "pinauth".
	Name string `json:"name,omitempty"`

	// Domain shares the cookies with subdomains. Default: none
	// (host-only).
	Domain string `json:"domain,omitempty"`

	// Insecure drops the Secure attribute, for plain-HTTP development
	// only. Default: false.
	Insecure bool `json:"insecure,omitempty"`
}

// Store selects the storage backend.
type Store struct {
	// Backend is the store type: "sqlite" (one node, no setup) or
	// "postgres" (a cluster of nodes sharing one database).
	// Default: "sqlite".
	Backend string `json:"backend,omitempty"`

	// Path is the SQLite database file. Default: pinauth.db in Caddy's
	// data directory.
	Path string `json:"path,omitempty"`

	// DSN is the PostgreSQL connection string, a URL
	// (postgres://user:password@host:5432/db?sslmode=verify-full) or
	// key=value pairs; it may hold a password, so it takes placeholders
	// ({env.X}, {file./path}). Required for postgres.
	DSN string `json:"dsn,omitempty"`
	// MaxConns caps this node's PostgreSQL connection pool (the node
	// opens one more connection to listen for other nodes' changes).
	// Default: 4 per CPU, at least 8.
	MaxConns int `json:"max_conns,omitempty"`
	// ConnectTimeout bounds opening one PostgreSQL connection.
	// Default: the DSN's connect_timeout, else 5s.
	ConnectTimeout caddy.Duration `json:"connect_timeout,omitempty"`
	// QueryTimeout bounds every store call a request makes, including the
	// wait for a pooled connection: when PostgreSQL does not answer in
	// time the request gets 503 with Retry-After. Default: 5s.
	QueryTimeout caddy.Duration `json:"query_timeout,omitempty"`
}

// Hash is the cost of PIN, password and answer hashing.
type Hash struct {
	// Algorithm is the hash function; only "argon2id" is available.
	// Default: "argon2id".
	Algorithm string `json:"algorithm,omitempty"`
	// Time is the number of passes. Required.
	Time uint32 `json:"time,omitempty"`
	// MemoryKiB is the memory per hash in KiB. Required.
	MemoryKiB uint32 `json:"memory_kib,omitempty"`
	// Threads is the parallelism. Required.
	Threads uint8 `json:"threads,omitempty"`
}

// Lockout is the per-account brute-force policy.
type Lockout struct {
	// Attempts is how many failed credential checks lock the account.
	// Default: 5.
	Attempts int `json:"attempts,omitempty"`
	// Window is how long failures are counted. Default: 15m.
	Window caddy.Duration `json:"window,omitempty"`
	// Duration is how long a suspend or captcha lock lasts. Default: 15m.
	Duration caddy.Duration `json:"duration,omitempty"`
	// Type is the lock applied: suspend, captcha or block.
	// Default: suspend.
	Type string `json:"type,omitempty"`
}

// RateLimit bounds the credential checks (logins, PIN set, change and
// reset, OTP and security-answer checks) per client IP. Token validation
// and API-secret calls are not limited: app back ends make those from one
// IP for all their users. The count is kept in memory on each node and
// survives config reloads.
type RateLimit struct {
	// Requests is how many checks a client may make at once; after that,
	// one more per window/requests. Default: 300.
	Requests int `json:"requests,omitempty"`
	// Window is the period requests refers to. Default: 1m.
	Window caddy.Duration `json:"window,omitempty"`
}

// Captcha is the bot protection of credential checks, verified server-side
// with the provider.
type Captcha struct {
	// Provider is recaptcha (v2 or v3), hcaptcha or tencent. Required.
	Provider string `json:"provider,omitempty"`
	// Secret is the provider's server-side key (Tencent: AppSecretKey).
	// It is sent to verify_url only and never logged. Required.
	Secret string `json:"secret,omitempty"`
	// AppID is Tencent's CaptchaAppId. Required for tencent.
	AppID string `json:"app_id,omitempty"`
	// SiteKey is the public site key; hCaptcha checks answers against it.
	// Default: none.
	SiteKey string `json:"site_key,omitempty"`
	// VerifyURL is where answers are verified. Default: the provider's.
	VerifyURL string `json:"verify_url,omitempty"`
	// Always requires a captcha on every credential check. Default: false.
	Always bool `json:"always,omitempty"`
	// After requires a captcha once an account has this many failures.
	// Default: the lockout attempts minus 2.
	After int `json:"after,omitempty"`
	// MinScore is the lowest reCAPTCHA v3 score accepted. Default: 0.5.
	MinScore float64 `json:"min_score,omitempty"`
	// Action, when set, must be the reCAPTCHA v3 action. Default: any.
	Action string `json:"action,omitempty"`
	// Timeout bounds one verification; a provider that does not answer
	// in time fails the request closed (503). Default: 5s.
	Timeout caddy.Duration `json:"timeout,omitempty"`
}

// captchaProviders are the provider names the Caddyfile and JSON accept.
var captchaProviders = []string{pinauth.CaptchaReCAPTCHA, pinauth.CaptchaHCaptcha, pinauth.CaptchaTencent}

// Names used in the Caddyfile and JSON and mapped to the core.
const (
	backendSQLite     = "sqlite"
	backendPostgres   = "postgres"
	hashArgon2id      = "argon2id"
	defaultIssuer     = "caddy-pinauth"
	defaultSQLiteFile = "pinauth.db"
)

// lockTypes maps the operator-facing lock names to the store's.
var lockTypes = map[string]store.LockType{
	"suspend": store.LockSuspend,
	"captcha": store.LockCaptcha,
	"block":   store.LockBlock,
}

// storeSpec says which store to open, with placeholders expanded.
type storeSpec struct {
	backend string
	path    string // sqlite
	// The postgres backend's settings; dsn is a secret.
	dsn            string
	maxConns       int
	connectTimeout time.Duration
	queryTimeout   time.Duration
}

// validate checks what can be checked before placeholders are expanded.
// Error texts name the field and never contain a secret's value.
func (h *Handler) validate() error {
	if len(h.Tenants) == 0 {
		return errors.New("at least one tenant is required")
	}
	for i, t := range h.Tenants {
		if err := t.validate(); err != nil {
			if t.Name == "" {
				return fmt.Errorf("tenant %d: %w", i+1, err)
			}
			return fmt.Errorf("tenant %q: %w", t.Name, err)
		}
	}
	if err := validateWebhooks(h.Webhooks); err != nil {
		return err
	}
	if len(h.Peppers) == 0 {
		return errors.New("pepper is required")
	}
	for _, p := range h.Peppers {
		if p == "" {
			return errors.New("pepper: a value is empty")
		}
	}
	switch h.SigningAlg {
	case "", pinauth.AlgEdDSA, pinauth.AlgES256, pinauth.AlgRS256, pinauth.AlgHS256:
	default:
		return fmt.Errorf("signing_alg: unsupported algorithm %q (want EdDSA, ES256, RS256 or HS256)", h.SigningAlg)
	}
	for name, d := range map[string]caddy.Duration{
		"access_ttl": h.AccessTTL, "refresh_ttl": h.RefreshTTL, "session_ttl": h.SessionTTL,
		"key_rotation": h.KeyRotation,
	} {
		if d < 0 {
			return fmt.Errorf("%s: must not be negative", name)
		}
	}
	if err := h.Store.validate(); err != nil {
		return err
	}
	if h.Hash != nil && h.Hash.Algorithm != "" && h.Hash.Algorithm != hashArgon2id {
		return fmt.Errorf("hash: unsupported algorithm %q (want argon2id)", h.Hash.Algorithm)
	}
	if h.MaxConcurrentHashes < 0 {
		return errors.New("max_concurrent_hashes: must not be negative")
	}
	if l := h.Lockout; l != nil {
		if l.Attempts < 0 || l.Window < 0 || l.Duration < 0 {
			return errors.New("lockout: attempts, window and duration must not be negative")
		}
		if _, ok := lockTypes[l.Type]; l.Type != "" && !ok {
			return fmt.Errorf("lockout: unknown type %q (want suspend, captcha or block)", l.Type)
		}
		if l.Type == "captcha" && h.Captcha == nil {
			return errors.New("lockout: type captcha needs a captcha provider (the captcha subdirective)")
		}
	}
	if r := h.RateLimit; r != nil && (r.Requests < 0 || r.Window < 0) {
		return errors.New("rate_limit: requests and window must not be negative")
	}
	if c := h.Captcha; c != nil {
		if err := c.validate(); err != nil {
			return fmt.Errorf("captcha: %w", err)
		}
	}
	for _, p := range h.Public {
		if !strings.HasPrefix(p, "/") {
			return fmt.Errorf("public: path %q must start with /", p)
		}
	}
	if h.APIPrefix != "" && !strings.HasPrefix(h.APIPrefix, "/") {
		return fmt.Errorf("api_prefix: %q must start with /", h.APIPrefix)
	}
	if !knownHeaderPreset(h.HeaderPreset) {
		return fmt.Errorf("header_preset: unknown preset %q (want authelia, oauth2-proxy or authentik)", h.HeaderPreset)
	}
	if h.HeaderPrefix != "" && !isHeaderToken(h.HeaderPrefix) {
		return fmt.Errorf("header_prefix: %q is not a valid header name prefix", h.HeaderPrefix)
	}
	if h.CacheSize < 0 {
		return errors.New("cache_size: must not be negative")
	}
	if h.LoginPage != nil && h.LoginPage.Path != "" && !strings.HasPrefix(h.LoginPage.Path, "/") {
		return fmt.Errorf("login_page: path %q must start with /", h.LoginPage.Path)
	}
	if h.Cookie != nil && h.LoginPage == nil {
		return errors.New("cookie: configures the login page's cookies; add login_page")
	}
	return h.validateReset()
}

func (c *Captcha) validate() error {
	if !slices.Contains(captchaProviders, c.Provider) {
		return fmt.Errorf("unknown provider %q (want recaptcha, hcaptcha or tencent)", c.Provider)
	}
	if c.Secret == "" {
		return errors.New("a secret is required")
	}
	if c.Provider == pinauth.CaptchaTencent && c.AppID == "" {
		return errors.New("tencent needs app_id")
	}
	if c.Always && c.After != 0 {
		return errors.New("always and after exclude each other")
	}
	if c.After < 0 || c.Timeout < 0 {
		return errors.New("after and timeout must not be negative")
	}
	if c.MinScore < 0 || c.MinScore > 1 {
		return errors.New("min_score must be between 0 and 1")
	}
	if u := c.VerifyURL; u != "" && !strings.Contains(u, "{") {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return errors.New("verify_url must be an absolute http or https URL")
		}
	}
	return nil
}

func (t Tenant) validate() error {
	if t.Name == "" {
		return errors.New("name is required")
	}
	if len(t.APIKeys) == 0 {
		return errors.New("api_key is required")
	}
	for _, k := range t.APIKeys {
		if k == "" {
			return errors.New("api_key: a value is empty")
		}
	}
	if t.APISecret == "" {
		return errors.New("api_secret is required")
	}
	if err := validateWebhooks(t.Webhooks); err != nil {
		return err
	}
	if t.PlanExpires != "" {
		if _, err := time.Parse(time.RFC3339, t.PlanExpires); err != nil {
			return fmt.Errorf("plan_expires: %q is not an RFC 3339 time", t.PlanExpires)
		}
	}
	if t.PINMinLength < 0 || t.PINMaxLength < 0 {
		return errors.New("pin_length: must not be negative")
	}
	if t.MFA != "" && t.MFA != pinauth.MFASecurityQuestion {
		return fmt.Errorf("mfa: unknown method %q (want security_question)", t.MFA)
	}
	if t.PINResetEmail != "" && t.PINResetEmail != pinauth.PINResetByLink && t.PINResetEmail != pinauth.PINResetByOTP {
		return fmt.Errorf("pin_reset_email: unknown value %q (want link or otp)", t.PINResetEmail)
	}
	seen := map[string]bool{}
	for _, q := range t.SecurityQuestions {
		if q.ID == "" || q.Text == "" {
			return errors.New("security_question: id and text are required")
		}
		if seen[q.ID] {
			return fmt.Errorf("security_question: id %q is used twice", q.ID)
		}
		seen[q.ID] = true
	}
	return nil
}

// coreConfig expands placeholders and converts h into the core's Config
// and the store to open. It is the only place Caddy types become plain Go.
// Store, Logger and ClientIP are left for Provision to fill.
func (h *Handler) coreConfig(repl *caddy.Replacer) (pinauth.Config, storeSpec, error) {
	x := &expander{repl: repl}
	cfg := pinauth.Config{
		Issuer:              x.expand("issuer", h.Issuer),
		SigningAlg:          h.SigningAlg,
		SigningKey:          x.expand("signing_key", h.SigningKey),
		AccessTTL:           time.Duration(h.AccessTTL),
		RefreshTTL:          time.Duration(h.RefreshTTL),
		SessionTTL:          time.Duration(h.SessionTTL),
		KeyRotation:         time.Duration(h.KeyRotation),
		MaxConcurrentHashes: h.MaxConcurrentHashes,
		Public:              h.Public,
		HeaderPrefix:        h.HeaderPrefix,
		HeaderPreset:        h.HeaderPreset,
		WithholdToken:       h.ForwardToken != nil && !*h.ForwardToken,
		CacheSize:           h.CacheSize,
		APIPrefix:           h.APIPrefix,
	}
	if cfg.Issuer == "" {
		cfg.Issuer = defaultIssuer
	}
	if lp := h.LoginPage; lp != nil {
		cfg.LoginPage = &pinauth.LoginPage{
			Path:        lp.Path,
			Tenant:      lp.Tenant,
			TemplateDir: x.expand("login_page template_dir", lp.TemplateDir),
		}
		if c := h.Cookie; c != nil {
			cfg.LoginPage.Cookie = pinauth.Cookie{Name: c.Name, Domain: c.Domain, Insecure: c.Insecure}
		}
	}
	for i, p := range h.Peppers {
		cfg.Peppers = append(cfg.Peppers, x.expand(fmt.Sprintf("pepper %d", i+1), p))
	}
	if h.Hash != nil {
		cfg.Hash = pinauth.HashParams{Time: h.Hash.Time, MemoryKiB: h.Hash.MemoryKiB, Threads: h.Hash.Threads}
	}
	if l := h.Lockout; l != nil {
		cfg.Lockout = pinauth.LockoutPolicy{
			Attempts: l.Attempts,
			Window:   time.Duration(l.Window),
			Duration: time.Duration(l.Duration),
			Type:     lockTypes[l.Type],
		}
	}
	if r := h.RateLimit; r != nil {
		cfg.RateLimit = pinauth.RateLimitPolicy{Requests: r.Requests, Window: time.Duration(r.Window)}
	}
	if c := h.Captcha; c != nil {
		cfg.Captcha = &pinauth.CaptchaConfig{
			Provider:  c.Provider,
			Secret:    x.expand("captcha secret", c.Secret),
			AppID:     x.expand("captcha app_id", c.AppID),
			SiteKey:   x.expand("captcha site_key", c.SiteKey),
			VerifyURL: x.expand("captcha verify_url", c.VerifyURL),
			Always:    c.Always,
			After:     c.After,
			MinScore:  c.MinScore,
			Action:    c.Action,
			Timeout:   time.Duration(c.Timeout),
		}
	}
	h.resetConfig(x, &cfg)
	for _, t := range h.Tenants {
		ct, err := t.coreTenant(x)
		if err != nil {
			return cfg, storeSpec{}, err
		}
		cfg.Tenants = append(cfg.Tenants, ct)
		cfg.Webhooks = append(cfg.Webhooks, coreWebhooks(x, t.Webhooks, t.Name)...)
	}
	cfg.Webhooks = append(coreWebhooks(x, h.Webhooks, ""), cfg.Webhooks...)

	spec := storeSpec{backend: backendSQLite}
	if h.Store != nil {
		if h.Store.Backend != "" {
			spec.backend = h.Store.Backend
		}
		spec.path = x.expand("store path", h.Store.Path)
		spec.dsn = x.expand("store postgres DSN", h.Store.DSN)
		spec.maxConns = h.Store.MaxConns
		spec.connectTimeout = time.Duration(h.Store.ConnectTimeout)
		spec.queryTimeout = time.Duration(h.Store.QueryTimeout)
	}
	if spec.backend == backendSQLite && spec.path == "" {
		spec.path = filepath.Join(caddy.AppDataDir(), defaultSQLiteFile)
	}
	if x.err != nil {
		return cfg, storeSpec{}, x.err
	}
	return cfg, spec, nil
}

func (t Tenant) coreTenant(x *expander) (pinauth.Tenant, error) {
	ct := pinauth.Tenant{
		Name:             t.Name,
		APISecret:        x.expand(fmt.Sprintf("tenant %q: api_secret", t.Name), t.APISecret),
		PINOptional:      t.PINRequired != nil && !*t.PINRequired,
		PINMinLength:     t.PINMinLength,
		PINMaxLength:     t.PINMaxLength,
		AllowWeakPINs:    t.AllowWeakPINs,
		AllowedOrigins:   t.AllowedOrigins,
		MFA:              t.MFA,
		ResetPINURL:      x.expand(fmt.Sprintf("tenant %q: reset_pin_url", t.Name), t.ResetPINURL),
		PINResetEmail:    t.PINResetEmail,
		MessageTemplates: x.expand(fmt.Sprintf("tenant %q: message_templates", t.Name), t.MessageTemplates),
	}
	for i, k := range t.APIKeys {
		ct.APIKeys = append(ct.APIKeys, x.expand(fmt.Sprintf("tenant %q: api_key %d", t.Name, i+1), k))
	}
	if t.PlanExpires != "" {
		at, err := time.Parse(time.RFC3339, t.PlanExpires)
		if err != nil {
			return ct, fmt.Errorf("tenant %q: plan_expires: %q is not an RFC 3339 time", t.Name, t.PlanExpires)
		}
		ct.PlanExpires = at
	}
	for _, q := range t.SecurityQuestions {
		ct.SecurityQuestions = append(ct.SecurityQuestions, pinauth.SecurityQuestion{ID: q.ID, Text: q.Text})
	}
	return ct, nil
}

// expander expands {env.*}, {file.*} and the other global placeholders
// and keeps the first failure. A placeholder that expands to nothing (an
// unset variable, an unreadable file) is an error rather than an empty
// secret. Caddy's error names only the placeholder, never the value
// around it.
type expander struct {
	repl *caddy.Replacer
	err  error
}

func (x *expander) expand(field, s string) string {
	if x.err != nil || s == "" {
		return s
	}
	out, err := x.repl.ReplaceOrErr(s, true, false)
	if err != nil {
		x.err = fmt.Errorf("%s: %w", field, err)
		return ""
	}
	return out
}

// isHeaderToken reports whether s consists of HTTP token characters only,
// as a header name must.
func isHeaderToken(s string) bool {
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// validate checks the store settings; s may be nil (the default store).
// Errors never contain the DSN.
func (s *Store) validate() error {
	if s == nil {
		return nil
	}
	pgOnly := s.DSN != "" || s.MaxConns != 0 || s.ConnectTimeout != 0 || s.QueryTimeout != 0
	switch s.Backend {
	case "", backendSQLite:
		if pgOnly {
			return errors.New("store sqlite: dsn, max_conns, connect_timeout and query_timeout are for store postgres")
		}
	case backendPostgres:
		if s.DSN == "" {
			return errors.New("store postgres: a DSN is required")
		}
		if s.Path != "" {
			return errors.New("store postgres: path is for store sqlite; give the database in the DSN")
		}
		if s.MaxConns < 0 || s.ConnectTimeout < 0 || s.QueryTimeout < 0 {
			return errors.New("store postgres: max_conns, connect_timeout and query_timeout must not be negative")
		}
	default:
		return fmt.Errorf("store: unsupported backend %q (want sqlite or postgres)", s.Backend)
	}
	return nil
}

// knownHeaderPreset reports whether name is "" or a preset the core has.
func knownHeaderPreset(name string) bool {
	switch name {
	case "", pinauth.PresetAuthelia, pinauth.PresetOAuth2Proxy, pinauth.PresetAuthentik:
		return true
	}
	return false
}
