package caddymodule

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/pinauth/caddy-pinauth/pinauth"
	"github.com/pinauth/caddy-pinauth/pinauth/captcha"
	"github.com/pinauth/caddy-pinauth/pinauth/identityheaders"
	"github.com/pinauth/caddy-pinauth/pinauth/loginpage"
	"github.com/pinauth/caddy-pinauth/pinauth/publicpath"
	"github.com/pinauth/caddy-pinauth/pinauth/recovery"
	"github.com/pinauth/caddy-pinauth/pinauth/tokens"
)

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
	if h.SigningAlg != "" {
		if err := tokens.CheckAlg(h.SigningAlg); err != nil {
			return fmt.Errorf("signing_alg: %w", err)
		}
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
	if r := h.RateLimit; r != nil {
		if err := r.policy().Validate(); err != nil {
			return fmt.Errorf("rate_limit: %w", err)
		}
	}
	if c := h.Captcha; c != nil {
		if err := c.validate(); err != nil {
			return fmt.Errorf("captcha: %w", err)
		}
	}
	for _, p := range h.Public {
		if err := publicpath.Validate(p); err != nil {
			return err
		}
	}
	if err := h.validateAcceptTenants(); err != nil {
		return err
	}
	if h.APIPrefix != "" && !strings.HasPrefix(h.APIPrefix, "/") {
		return fmt.Errorf("api_prefix: %q must start with /", h.APIPrefix)
	}
	if err := identityheaders.ValidatePreset(h.HeaderPreset); err != nil {
		return fmt.Errorf("header_preset: %w", err)
	}
	if err := identityheaders.ValidatePrefix(h.HeaderPrefix); err != nil {
		return fmt.Errorf("header_prefix: %w", err)
	}
	if h.CacheSize < 0 {
		return errors.New("cache_size: must not be negative")
	}
	if h.Cookie != nil && h.LoginPage == nil {
		return errors.New("cookie: configures the login page's cookies; add login_page")
	}
	if lp := h.LoginPage; lp != nil {
		// The page's own rules (loginpage.Config.Validate); the tenant
		// and the overlap with the API are checked with the gateway's.
		lc := loginpage.Config{Path: lp.Path}
		if c := h.Cookie; c != nil {
			lc.Cookie = loginpage.Cookie{Name: c.Name, Domain: c.Domain}
		}
		if err := lc.Validate(); err != nil {
			return err
		}
	}
	return h.validateReset()
}

// validate checks c with the core's captcha rules (captcha.Config.Validate)
// before its placeholders are expanded, plus what the Caddyfile adds:
// always and after exclude each other, and a timeout is not negative.
func (c *Captcha) validate() error {
	cc := captcha.Config{Provider: c.Provider, Secret: c.Secret, AppID: c.AppID, VerifyURL: c.VerifyURL,
		After: c.After, MinScore: c.MinScore}
	if strings.Contains(cc.VerifyURL, "{") {
		cc.VerifyURL = "" // a placeholder: the core checks the expanded URL
	}
	if err := cc.Validate(); err != nil {
		return err
	}
	if c.Always && c.After != 0 {
		return errors.New("always and after exclude each other")
	}
	if c.Timeout < 0 {
		return errors.New("timeout must not be negative")
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
	for _, f := range [...]struct{ name, mode string }{
		{"pin_reset_email", t.PINResetEmail}, {"password_reset_email", t.PasswordResetEmail},
	} {
		if recovery.CheckMode(f.name, f.mode) != nil {
			return fmt.Errorf("%s: unknown value %q (want link or otp)", f.name, f.mode)
		}
	}
	if t.TokenFormat != "" && t.TokenFormat != pinauth.TokenFormatJWT && t.TokenFormat != pinauth.TokenFormatUUID {
		return fmt.Errorf("token_format: unknown value %q (want jwt or uuid)", t.TokenFormat)
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

// validateAcceptTenants checks that accept_tenants names tenants of this
// block, the login page's among them.
func (h *Handler) validateAcceptTenants() error {
	named := func(name string) bool {
		return slices.ContainsFunc(h.Tenants, func(t Tenant) bool { return t.Name == name })
	}
	for _, name := range h.AcceptTenants {
		if !named(name) {
			return fmt.Errorf("accept_tenants: tenant %q is not configured", name)
		}
	}
	if h.LoginPage == nil || len(h.AcceptTenants) == 0 {
		return nil
	}
	page := h.LoginPage.Tenant
	if page == "" && len(h.Tenants) > 0 {
		page = h.Tenants[0].Name
	}
	if !slices.Contains(h.AcceptTenants, page) {
		return fmt.Errorf("accept_tenants: the login page's tenant %q must be accepted", page)
	}
	return nil
}
