package caddymodule

import "github.com/caddyserver/caddy/v2"

// Tenant is one app served by the gateway.
type Tenant struct {
	// Name identifies the tenant and is the JWT audience. Required.
	Name string `json:"name,omitempty"`

	// APIKeys select this tenant; list several to rotate keys. Required.
	APIKeys []string `json:"api_keys,omitempty"`

	// APISecret authorizes the /manage calls: at least 16 bytes, and
	// none of the API keys. After 20 wrong secrets a client address gets
	// 429 on these calls, one more try every 30 s. Required.
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

	// DeleteAccountURL is where account deletion links point when a
	// DELETE /auth/account call names no deleteurl; it must be on one of
	// allowed_origins. Default: none (the call must name one).
	DeleteAccountURL string `json:"delete_account_url,omitempty"`

	// PINResetEmail is what forgot-PIN by email or username sends: link
	// (a reset link) or otp (a 6-digit code). Default: link.
	PINResetEmail string `json:"pin_reset_email,omitempty"`

	// PasswordResetEmail is what forgot password sends: link (a reset
	// link to resetpasswordurl) or otp (a 6-digit code for PUT
	// /auth/password/reset with Otp and Email or UserName). Default: link.
	PasswordResetEmail string `json:"password_reset_email,omitempty"`

	// MessageTemplates is a directory of PIN reset message templates for
	// this tenant, over the email block's templates. Default: none.
	MessageTemplates string `json:"message_templates,omitempty"`

	// TemplateAliases map the template names apps send in emailtemplate
	// and smstemplate (for example LoginRadius's template names) to this
	// tenant's message template sets. Any other name that is not a set
	// selects the call's built-in set. Default: none.
	TemplateAliases map[string]string `json:"template_aliases,omitempty"`

	// TokenFormat is what clients receive as access_token: jwt (the
	// signed JWT) or uuid (a UUID-shaped opaque handle, for LoginRadius's
	// typed SDKs, which parse the token as a UUID; the gateway forwards a
	// JWT minted for it upstream). Both are accepted whatever the setting.
	// Default: jwt.
	TokenFormat string `json:"token_format,omitempty"`

	// Registration is the tenant's sign-up and email verification
	// policy. Default: none (sign-up off).
	Registration *Registration `json:"registration,omitempty"`
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
	// pin.html, setpin.html, logout.html, message.html, forgot.html,
	// reset.html, forgotpin.html, style.css, app.js); other .css, .js, .png, .svg, .ico and .woff2 files in it
	// are served as extra assets. Default: none.
	TemplateDir string `json:"template_dir,omitempty"`

	// ProductName is shown above every page's heading and in the
	// browser's title. Default: none.
	ProductName string `json:"product_name,omitempty"`

	// LogoURL is the logo shown with the product name: an https URL or a
	// path on this site (a template_dir asset: /login/assets/logo.svg).
	// Default: none.
	LogoURL string `json:"logo_url,omitempty"`

	// AccentColor colours buttons, links and focus rings: #rgb or
	// #rrggbb (in a Caddyfile without the # or quoted, since # starts a
	// comment). White text sits on it. Default: #1d4ed8.
	AccentColor string `json:"accent_color,omitempty"`

	// SupportURL is linked at the foot of every page: https, http or
	// mailto. Default: none.
	SupportURL string `json:"support_url,omitempty"`

	// Text replaces texts of the page's catalogue: language (en, de, fr)
	// → key (as in the catalogue, e.g. "button.login") → text. Default:
	// none.
	Text map[string]map[string]string `json:"text,omitempty"`
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

// Names used in the Caddyfile and JSON and mapped to the core.
const (
	backendSQLite     = "sqlite"
	backendPostgres   = "postgres"
	defaultIssuer     = "caddy-pinauth"
	defaultSQLiteFile = "pinauth.db"
)
