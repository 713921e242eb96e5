package caddymodule

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/pinauth/caddy-pinauth/pinauth/captcha"
	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/hashing"
	"github.com/pinauth/caddy-pinauth/pinauth/loginpage"
	"github.com/pinauth/caddy-pinauth/pinauth/ratelimit"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// storeSpec says which store to open, with placeholders expanded.
type storeSpec struct {
	backend string
	path    string // sqlite
	// The postgres backend's settings; dsn is a secret.
	dsn            string
	maxConns       int
	connectTimeout time.Duration
	queryTimeout   time.Duration
	// mustExist refuses to create a SQLite file that does not exist: a
	// read-only command pointed at the wrong place must say so, not show
	// an empty store.
	mustExist bool
}

// coreConfig expands placeholders and converts h into the core's Config
// and the store to open. It is the only place Caddy types become plain Go.
// Store, Logger and ClientIP are left for Provision to fill. The parts are
// converted in a fixed order, so that of several broken placeholders the
// first one in that order is the one reported.
func (h *Handler) coreConfig(repl *caddy.Replacer) (config.Config, storeSpec, error) {
	x := &expander{repl: repl}
	cfg := h.tokenConfig(x)
	cfg.LoginPage = h.loginPageConfig(x)
	cfg.Peppers = h.peppers(x)
	cfg.Hash = h.hashParams()
	cfg.Lockout = h.lockoutPolicy()
	cfg.RateLimit = h.rateLimitPolicy()
	cfg.Captcha = h.captchaConfig(x)
	h.resetConfig(x, &cfg)
	var err error
	if cfg.Tenants, cfg.Webhooks, err = h.coreTenants(x); err != nil {
		return cfg, storeSpec{}, err
	}
	spec := h.storeToOpen(x)
	if x.err != nil {
		return cfg, storeSpec{}, x.err
	}
	return cfg, spec, nil
}

// tokenConfig is the Config's top-level settings: the tokens, routing,
// identity headers and cache, with the default issuer.
func (h *Handler) tokenConfig(x *expander) config.Config {
	cfg := config.Config{
		Issuer:              x.expand("issuer", h.Issuer),
		SigningAlg:          h.SigningAlg,
		SigningKey:          x.expand("signing_key", h.SigningKey),
		AccessTTL:           time.Duration(h.AccessTTL),
		RefreshTTL:          time.Duration(h.RefreshTTL),
		SessionTTL:          time.Duration(h.SessionTTL),
		KeyRotation:         time.Duration(h.KeyRotation),
		MaxConcurrentHashes: h.MaxConcurrentHashes,
		Public:              h.Public,
		AcceptTenants:       h.AcceptTenants,
		HeaderPrefix:        h.HeaderPrefix,
		HeaderPreset:        h.HeaderPreset,
		WithholdToken:       h.ForwardToken != nil && !*h.ForwardToken,
		CacheSize:           h.CacheSize,
		APIPrefix:           h.APIPrefix,
		AuthRequestPath:     h.AuthRequest,
	}
	if cfg.Issuer == "" {
		cfg.Issuer = defaultIssuer
	}
	return cfg
}

// loginPageConfig is the login page with its cookie settings, nil when
// there is no login page.
func (h *Handler) loginPageConfig(x *expander) *loginpage.Config {
	lp := h.LoginPage
	if lp == nil {
		return nil
	}
	out := &loginpage.Config{
		Path:        lp.Path,
		Tenant:      lp.Tenant,
		TemplateDir: x.expand("login_page template_dir", lp.TemplateDir),
		Brand:       lp.brand(),
		Text:        lp.Text,
	}
	if c := h.Cookie; c != nil {
		out.Cookie = loginpage.Cookie{Name: c.Name, Domain: c.Domain, Insecure: c.Insecure}
	}
	return out
}

// peppers are the peppers, expanded, in their configured order.
func (h *Handler) peppers(x *expander) []string {
	var out []string
	for i, p := range h.Peppers {
		out = append(out, x.expand(fmt.Sprintf("pepper %d", i+1), p))
	}
	return out
}

// hashParams is the argon2id cost; zero (the core's default) when unset.
func (h *Handler) hashParams() hashing.Params {
	if h.Hash == nil {
		return hashing.Params{}
	}
	return hashing.Params{Time: h.Hash.Time, MemoryKiB: h.Hash.MemoryKiB, Threads: h.Hash.Threads}
}

// lockoutPolicy is the lockout policy; zero (the core's default) when
// unset.
func (h *Handler) lockoutPolicy() config.LockoutPolicy {
	l := h.Lockout
	if l == nil {
		return config.LockoutPolicy{}
	}
	// Checked by validate; "" gives store.LockNone, the core's default.
	lockType, _ := store.ParseLockType(l.Type)
	return config.LockoutPolicy{
		Attempts: l.Attempts,
		Window:   time.Duration(l.Window),
		Duration: time.Duration(l.Duration),
		Type:     lockType,
	}
}

// rateLimitPolicy is the rate limit; zero (the core's default) when unset.
func (h *Handler) rateLimitPolicy() ratelimit.Policy {
	if h.RateLimit == nil {
		return ratelimit.Policy{}
	}
	return h.RateLimit.policy()
}

// captchaConfig is the captcha provider, expanded; nil when there is none.
func (h *Handler) captchaConfig(x *expander) *captcha.Config {
	c := h.Captcha
	if c == nil {
		return nil
	}
	return &captcha.Config{
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

// coreTenants converts the tenants and collects the webhooks: the
// block's own first, then each tenant's. The tenants' placeholders are
// expanded before the block's webhooks'.
func (h *Handler) coreTenants(x *expander) ([]config.Tenant, []webhook.Webhook, error) {
	var tenants []config.Tenant
	var tenantHooks []webhook.Webhook
	for _, t := range h.Tenants {
		ct, err := t.coreTenant(x)
		if err != nil {
			return tenants, tenantHooks, err
		}
		tenants = append(tenants, ct)
		tenantHooks = append(tenantHooks, coreWebhooks(x, t.Webhooks, t.Name)...)
	}
	return tenants, append(coreWebhooks(x, h.Webhooks, ""), tenantHooks...), nil
}

// storeToOpen is the store to open: SQLite in Caddy's data directory
// unless the store block says otherwise.
func (h *Handler) storeToOpen(x *expander) storeSpec {
	spec := storeSpec{backend: backendSQLite}
	if s := h.Store; s != nil {
		if s.Backend != "" {
			spec.backend = s.Backend
		}
		spec.path = x.expand("store path", s.Path)
		spec.dsn = x.expand("store postgres DSN", s.DSN)
		spec.maxConns = s.MaxConns
		spec.connectTimeout = time.Duration(s.ConnectTimeout)
		spec.queryTimeout = time.Duration(s.QueryTimeout)
	}
	if spec.backend == backendSQLite && spec.path == "" {
		spec.path = filepath.Join(caddy.AppDataDir(), defaultSQLiteFile)
	}
	return spec
}

func (t Tenant) coreTenant(x *expander) (config.Tenant, error) {
	ct := config.Tenant{
		Name:               t.Name,
		APISecret:          x.expand(fmt.Sprintf("tenant %q: api_secret", t.Name), t.APISecret),
		PINOptional:        t.PINRequired != nil && !*t.PINRequired,
		PINMinLength:       t.PINMinLength,
		PINMaxLength:       t.PINMaxLength,
		AllowWeakPINs:      t.AllowWeakPINs,
		AllowedOrigins:     t.AllowedOrigins,
		MFA:                t.MFA,
		ResetPINURL:        x.expand(fmt.Sprintf("tenant %q: reset_pin_url", t.Name), t.ResetPINURL),
		DeleteAccountURL:   x.expand(fmt.Sprintf("tenant %q: delete_account_url", t.Name), t.DeleteAccountURL),
		PINResetEmail:      t.PINResetEmail,
		PasswordResetEmail: t.PasswordResetEmail,
		MessageTemplates:   x.expand(fmt.Sprintf("tenant %q: message_templates", t.Name), t.MessageTemplates),
		TokenFormat:        t.TokenFormat,
		TemplateAliases:    t.TemplateAliases,
		Registration:       t.Registration.core(x),
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
		ct.SecurityQuestions = append(ct.SecurityQuestions, config.SecurityQuestion{ID: q.ID, Text: q.Text})
	}
	return ct, nil
}

// expander expands {env.*}, {file.*} and the other global placeholders,
// and {env.NAME:default} (see envDefault), and keeps the first failure. A
// placeholder that expands to nothing (an unset variable, an unreadable
// file) is an error rather than an empty secret. Caddy's error names only
// the placeholder, never the value around it.
type expander struct {
	repl *caddy.Replacer
	err  error
}

func (x *expander) expand(field, s string) string {
	if x.err != nil || s == "" {
		return s
	}
	out, err := replaceWithEnvDefaults(x.repl, s)
	if err != nil {
		x.err = fmt.Errorf("%s: %w", field, err)
		return ""
	}
	return out
}

// policy is r as the core's rate-limit policy.
func (r *RateLimit) policy() ratelimit.Policy {
	return ratelimit.Policy{Requests: r.Requests, Window: time.Duration(r.Window)}
}
