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
// Store, Logger and ClientIP are left for Provision to fill.
func (h *Handler) coreConfig(repl *caddy.Replacer) (config.Config, storeSpec, error) {
	x := &expander{repl: repl}
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
	if lp := h.LoginPage; lp != nil {
		cfg.LoginPage = &loginpage.Config{
			Path:        lp.Path,
			Tenant:      lp.Tenant,
			TemplateDir: x.expand("login_page template_dir", lp.TemplateDir),
			Brand:       lp.brand(),
			Text:        lp.Text,
		}
		if c := h.Cookie; c != nil {
			cfg.LoginPage.Cookie = loginpage.Cookie{Name: c.Name, Domain: c.Domain, Insecure: c.Insecure}
		}
	}
	for i, p := range h.Peppers {
		cfg.Peppers = append(cfg.Peppers, x.expand(fmt.Sprintf("pepper %d", i+1), p))
	}
	if h.Hash != nil {
		cfg.Hash = hashing.Params{Time: h.Hash.Time, MemoryKiB: h.Hash.MemoryKiB, Threads: h.Hash.Threads}
	}
	if l := h.Lockout; l != nil {
		// Checked by validate; "" gives store.LockNone, the core's default.
		lockType, _ := store.ParseLockType(l.Type)
		cfg.Lockout = config.LockoutPolicy{
			Attempts: l.Attempts,
			Window:   time.Duration(l.Window),
			Duration: time.Duration(l.Duration),
			Type:     lockType,
		}
	}
	if r := h.RateLimit; r != nil {
		cfg.RateLimit = r.policy()
	}
	if c := h.Captcha; c != nil {
		cfg.Captcha = &captcha.Config{
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
		PINResetEmail:      t.PINResetEmail,
		PasswordResetEmail: t.PasswordResetEmail,
		MessageTemplates:   x.expand(fmt.Sprintf("tenant %q: message_templates", t.Name), t.MessageTemplates),
		TokenFormat:        t.TokenFormat,
		TemplateAliases:    t.TemplateAliases,
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
