package caddymodule

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/pinauth/caddy-pinauth/pinauth/captcha"
	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/hashing"
	"github.com/pinauth/caddy-pinauth/pinauth/identityheaders"
	"github.com/pinauth/caddy-pinauth/pinauth/loginpage"
	"github.com/pinauth/caddy-pinauth/pinauth/publicpath"
	"github.com/pinauth/caddy-pinauth/pinauth/recovery"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/tokens"
)

// validate checks what can be checked before placeholders are expanded.
// Error texts name the field and never contain a secret's value.
func (h *Handler) validate() error {
	for _, check := range []func() error{
		h.validateTenants, h.validateSecrets, h.validateDurations, h.Store.validate,
		h.validateHashing, h.validateLockout, h.validateLimits, h.validateRouting,
		h.validateHeaders, h.validateLoginPage, h.validateReset,
	} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// validateTenants checks every tenant and the block's webhooks.
func (h *Handler) validateTenants() error {
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
	return validateWebhooks(h.Webhooks)
}

// validateSecrets checks the peppers and the signing algorithm.
func (h *Handler) validateSecrets() error {
	if len(h.Peppers) == 0 {
		return errors.New("pepper is required")
	}
	if slices.Contains(h.Peppers, "") {
		return errors.New("pepper: a value is empty")
	}
	if h.SigningAlg != "" {
		if err := tokens.CheckAlg(h.SigningAlg); err != nil {
			return fmt.Errorf("signing_alg: %w", err)
		}
	}
	return nil
}

// validateDurations checks that the token lifetimes and the key rotation
// interval are not negative.
func (h *Handler) validateDurations() error {
	for name, d := range map[string]caddy.Duration{
		"access_ttl": h.AccessTTL, "refresh_ttl": h.RefreshTTL, "session_ttl": h.SessionTTL,
		"key_rotation": h.KeyRotation,
	} {
		if d < 0 {
			return fmt.Errorf("%s: must not be negative", name)
		}
	}
	return nil
}

// validateHashing checks the hash algorithm and the hashing queue.
func (h *Handler) validateHashing() error {
	if h.Hash != nil && h.Hash.Algorithm != "" {
		if err := hashing.CheckAlgorithm(h.Hash.Algorithm); err != nil {
			return fmt.Errorf("hash: %w", err)
		}
	}
	if h.MaxConcurrentHashes < 0 {
		return errors.New("max_concurrent_hashes: must not be negative")
	}
	return nil
}

// validateLockout checks the lockout policy: a captcha lock needs a
// captcha provider to solve it.
func (h *Handler) validateLockout() error {
	l := h.Lockout
	if l == nil {
		return nil
	}
	if l.Attempts < 0 || l.Window < 0 || l.Duration < 0 {
		return errors.New("lockout: attempts, window and duration must not be negative")
	}
	if l.Type == "" {
		return nil
	}
	lt, err := store.ParseLockType(l.Type)
	if err != nil {
		return fmt.Errorf("lockout: %w", err)
	}
	if lt == store.LockCaptcha && h.Captcha == nil {
		return errors.New("lockout: type captcha needs a captcha provider (the captcha subdirective)")
	}
	return nil
}

// validateLimits checks the rate limit and the captcha.
func (h *Handler) validateLimits() error {
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
	return nil
}

// validateRouting checks what decides which requests the gateway takes:
// the public paths, the accepted tenants, the API prefix and the
// auth-request path.
func (h *Handler) validateRouting() error {
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
	if h.AuthRequest != "" && !strings.HasPrefix(h.AuthRequest, "/") {
		return fmt.Errorf("auth_request: %q must start with /", h.AuthRequest)
	}
	return nil
}

// validateHeaders checks the identity headers and the cache of the
// protected path.
func (h *Handler) validateHeaders() error {
	if err := identityheaders.ValidatePreset(h.HeaderPreset); err != nil {
		return fmt.Errorf("header_preset: %w", err)
	}
	if err := identityheaders.ValidatePrefix(h.HeaderPrefix); err != nil {
		return fmt.Errorf("header_prefix: %w", err)
	}
	if h.CacheSize < 0 {
		return errors.New("cache_size: must not be negative")
	}
	return nil
}

// validateLoginPage checks the login page with the page's own rules
// (loginpage.Config.Validate); its tenant and its overlap with the API are
// checked with the gateway's. A cookie block needs a login page.
func (h *Handler) validateLoginPage() error {
	if h.Cookie != nil && h.LoginPage == nil {
		return errors.New("cookie: configures the login page's cookies; add login_page")
	}
	lp := h.LoginPage
	if lp == nil {
		return nil
	}
	lc := loginpage.Config{Path: lp.Path, Brand: lp.brand(), Text: lp.Text}
	if c := h.Cookie; c != nil {
		lc.Cookie = loginpage.Cookie{Name: c.Name, Domain: c.Domain}
	}
	return lc.Validate()
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

// validate checks t's settings; the caller names the tenant in the error.
func (t Tenant) validate() error {
	for _, check := range []func() error{
		t.validateKeys, func() error { return validateWebhooks(t.Webhooks) },
		t.validateLogin, t.validateChoices, t.validateQuestions, t.validateRegistration,
	} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// validateKeys checks that t has a name, API keys and an API secret.
func (t Tenant) validateKeys() error {
	if t.Name == "" {
		return errors.New("name is required")
	}
	if len(t.APIKeys) == 0 {
		return errors.New("api_key is required")
	}
	if slices.Contains(t.APIKeys, "") {
		return errors.New("api_key: a value is empty")
	}
	if t.APISecret == "" {
		return errors.New("api_secret is required")
	}
	return nil
}

// validateLogin checks the plan's end and the PIN lengths.
func (t Tenant) validateLogin() error {
	if t.PlanExpires != "" {
		if _, err := time.Parse(time.RFC3339, t.PlanExpires); err != nil {
			return fmt.Errorf("plan_expires: %q is not an RFC 3339 time", t.PlanExpires)
		}
	}
	if t.PINMinLength < 0 || t.PINMaxLength < 0 {
		return errors.New("pin_length: must not be negative")
	}
	return nil
}

// validateRegistration checks the registration block as the core will.
func (t Tenant) validateRegistration() error { return t.Registration.validate() }

// validateChoices checks the settings that take one of a list of values,
// each list kept by the package that owns it.
func (t Tenant) validateChoices() error {
	for _, f := range [...]struct {
		name, value string
		check       func(string) error
	}{
		{"mfa", t.MFA, config.CheckMFA},
		{"pin_reset_email", t.PINResetEmail, recovery.CheckMode},
		{"password_reset_email", t.PasswordResetEmail, recovery.CheckMode},
		{"token_format", t.TokenFormat, config.CheckTokenFormat},
	} {
		// An empty value is the default, not a choice to check.
		if f.value == "" {
			continue
		}
		if err := f.check(f.value); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	return nil
}

// validateQuestions checks that every security question has an id and a
// text, and no id is used twice.
func (t Tenant) validateQuestions() error {
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
