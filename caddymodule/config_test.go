package caddymodule

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/pinauth/caddy-pinauth/pinauth/captcha"
	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/hashing"
	"github.com/pinauth/caddy-pinauth/pinauth/ratelimit"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

func TestCoreConfigExpandsPlaceholdersAndConvertsEveryField(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "jwt.key")
	if err := os.WriteFile(keyFile, []byte("hs256-key-from-a-file-0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TEST_PINAUTH_KEY", "key-from-env")
	t.Setenv("TEST_PINAUTH_SECRET", "secret-from-env")
	t.Setenv("TEST_PINAUTH_PEPPER", "pepper-from-env-0123456789")
	t.Setenv("TEST_PINAUTH_DB", filepath.Join(dir, "x.db"))
	t.Setenv("TEST_PINAUTH_CAPTCHA", "captcha-secret-from-env")

	h := Handler{
		Tenants: []Tenant{{
			Name:              "shop",
			APIKeys:           []string{"{env.TEST_PINAUTH_KEY}", "literal-old-key"},
			APISecret:         "{env.TEST_PINAUTH_SECRET}",
			PlanExpires:       "2030-01-02T15:04:05Z",
			PINRequired:       ptr(false),
			PINMinLength:      6,
			PINMaxLength:      8,
			AllowWeakPINs:     true,
			AllowedOrigins:    []string{"https://shop.example"},
			MFA:               "security_question",
			SecurityQuestions: []SecurityQuestion{{ID: "pet", Text: "First pet?"}},
			TokenFormat:       "uuid",
		}},
		Store:               &Store{Backend: "sqlite", Path: "{env.TEST_PINAUTH_DB}"},
		Peppers:             []string{"{env.TEST_PINAUTH_PEPPER}", "older-literal-pepper-01"},
		Issuer:              "https://auth.example",
		SigningAlg:          "HS256",
		SigningKey:          "{file." + keyFile + "}",
		AccessTTL:           caddy.Duration(90 * time.Second),
		RefreshTTL:          caddy.Duration(30 * 24 * time.Hour),
		SessionTTL:          caddy.Duration(7 * 24 * time.Hour),
		Hash:                &Hash{Algorithm: "argon2id", Time: 1, MemoryKiB: 64, Threads: 1},
		MaxConcurrentHashes: 3,
		Lockout:             &Lockout{Attempts: 4, Window: caddy.Duration(time.Minute), Duration: caddy.Duration(time.Hour), Type: "block"},
		RateLimit:           &RateLimit{Requests: 50, Window: caddy.Duration(10 * time.Second)},
		Captcha: &Captcha{Provider: "recaptcha", Secret: "{env.TEST_PINAUTH_CAPTCHA}", SiteKey: "site-key",
			VerifyURL: "http://127.0.0.1:1/verify", After: 2, MinScore: 0.3, Action: "login", Timeout: caddy.Duration(time.Second)},
		Public:       []string{"/healthz"},
		HeaderPrefix: "X-User-",
		ForwardToken: ptr(false),
		CacheSize:    1 << 20,
		APIPrefix:    "/auth",
	}
	if err := h.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	got, spec, err := h.coreConfig(caddy.NewReplacer())
	if err != nil {
		t.Fatalf("coreConfig: %v", err)
	}
	want := config.Config{
		Tenants: []config.Tenant{{
			Name:              "shop",
			APIKeys:           []string{"key-from-env", "literal-old-key"},
			APISecret:         "secret-from-env",
			PlanExpires:       time.Date(2030, 1, 2, 15, 4, 5, 0, time.UTC),
			PINOptional:       true,
			PINMinLength:      6,
			PINMaxLength:      8,
			AllowWeakPINs:     true,
			AllowedOrigins:    []string{"https://shop.example"},
			MFA:               config.MFASecurityQuestion,
			SecurityQuestions: []config.SecurityQuestion{{ID: "pet", Text: "First pet?"}},
			TokenFormat:       config.TokenFormatUUID,
		}},
		Peppers:             []string{"pepper-from-env-0123456789", "older-literal-pepper-01"},
		Issuer:              "https://auth.example",
		SigningAlg:          "HS256",
		SigningKey:          "hs256-key-from-a-file-0123456789abcdef",
		AccessTTL:           90 * time.Second,
		RefreshTTL:          30 * 24 * time.Hour,
		SessionTTL:          7 * 24 * time.Hour,
		Hash:                hashing.Params{Time: 1, MemoryKiB: 64, Threads: 1},
		MaxConcurrentHashes: 3,
		Lockout:             config.LockoutPolicy{Attempts: 4, Window: time.Minute, Duration: time.Hour, Type: store.LockBlock},
		RateLimit:           ratelimit.Policy{Requests: 50, Window: 10 * time.Second},
		Captcha: &captcha.Config{Provider: "recaptcha", Secret: "captcha-secret-from-env", SiteKey: "site-key",
			VerifyURL: "http://127.0.0.1:1/verify", After: 2, MinScore: 0.3, Action: "login", Timeout: time.Second},
		Public:        []string{"/healthz"},
		HeaderPrefix:  "X-User-",
		WithholdToken: true,
		CacheSize:     1 << 20,
		APIPrefix:     "/auth",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("coreConfig:\ngot  %+v\nwant %+v", got, want)
	}
	if spec != (storeSpec{backend: "sqlite", path: filepath.Join(dir, "x.db")}) {
		t.Errorf("store spec = %+v", spec)
	}
}

func TestCoreConfigPassesThePostgresSettings(t *testing.T) {
	t.Setenv("TEST_PINAUTH_DSN", "postgres://u:pw@db:5432/x")
	h := Handler{
		Tenants: []Tenant{{Name: "demo", APIKeys: []string{"k"}, APISecret: "s"}},
		Peppers: []string{"pepper-0123456789abcdef"},
		Store: &Store{Backend: "postgres", DSN: "{env.TEST_PINAUTH_DSN}", MaxConns: 12,
			ConnectTimeout: caddy.Duration(time.Second), QueryTimeout: caddy.Duration(2 * time.Second)},
	}
	_, spec, err := h.coreConfig(caddy.NewReplacer())
	if err != nil {
		t.Fatal(err)
	}
	want := storeSpec{backend: "postgres", dsn: "postgres://u:pw@db:5432/x", maxConns: 12,
		connectTimeout: time.Second, queryTimeout: 2 * time.Second}
	if spec != want {
		t.Errorf("store spec = %+v, want %+v", spec, want)
	}
}

func TestCoreConfigDefaults(t *testing.T) {
	dataHome := t.TempDir()
	t.Setenv("XDG_DATA_HOME", dataHome)
	h := Handler{
		Tenants: []Tenant{{Name: "demo", APIKeys: []string{"k"}, APISecret: "s"}},
		Peppers: []string{"pepper-0123456789abcdef"},
	}
	cfg, spec, err := h.coreConfig(caddy.NewReplacer())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Issuer != "caddy-pinauth" {
		t.Errorf("default issuer = %q, want caddy-pinauth", cfg.Issuer)
	}
	if want := filepath.Join(dataHome, "caddy", "pinauth.db"); spec.backend != "sqlite" || spec.path != want {
		t.Errorf("default store = %+v, want sqlite at %s", spec, want)
	}
	if cfg.WithholdToken {
		t.Error("forward_token defaults to true, so the token must not be withheld")
	}
	if cfg.Tenants[0].PINOptional {
		t.Error("pin_required defaults to true, so the PIN must not be optional")
	}

	h.ForwardToken = ptr(true)
	h.Tenants[0].PINRequired = ptr(true)
	cfg, _, err = h.coreConfig(caddy.NewReplacer())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.WithholdToken || cfg.Tenants[0].PINOptional {
		t.Errorf("explicit true flags: WithholdToken=%v PINOptional=%v, want both false", cfg.WithholdToken, cfg.Tenants[0].PINOptional)
	}
}

func TestCoreConfigRejectsEmptyPlaceholdersWithoutEchoingSecrets(t *testing.T) {
	t.Setenv("TEST_PINAUTH_UNSET", "")
	base := func() Handler {
		return Handler{
			Tenants: []Tenant{{Name: "demo", APIKeys: []string{"k"}, APISecret: "s"}},
			Peppers: []string{"pepper-0123456789abcdef"},
		}
	}
	tests := []struct {
		name   string
		modify func(h *Handler)
		want   string
	}{
		{"api_key", func(h *Handler) { h.Tenants[0].APIKeys = []string{"visible-part-SECRET{env.TEST_PINAUTH_UNSET}"} }, `tenant "demo": api_key 1`},
		{"api_secret", func(h *Handler) { h.Tenants[0].APISecret = "{env.TEST_PINAUTH_UNSET}SECRET" }, `tenant "demo": api_secret`},
		{"pepper", func(h *Handler) { h.Peppers = []string{"pepper-0123456789abcdef", "SECRET{env.TEST_PINAUTH_UNSET}"} }, "pepper 2"},
		{"signing_key from a missing file", func(h *Handler) { h.SigningKey = "SECRET{file./nonexistent/pinauth-test.pem}" }, "signing_key"},
		{"store path", func(h *Handler) { h.Store = &Store{Path: "{env.TEST_PINAUTH_UNSET}"} }, "store path"},
		{"captcha secret", func(h *Handler) {
			h.Captcha = &Captcha{Provider: "hcaptcha", Secret: "SECRET{env.TEST_PINAUTH_UNSET}"}
		}, "captcha secret"},
		{"store postgres DSN", func(h *Handler) {
			h.Store = &Store{Backend: "postgres", DSN: "{env.TEST_PINAUTH_UNSET}"}
		}, "store postgres DSN"},
		{"store postgres DSN from a missing file", func(h *Handler) {
			h.Store = &Store{Backend: "postgres", DSN: "postgres://u:SECRET@db/{file./nonexistent/pinauth-dsn}"}
		}, "store postgres DSN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := base()
			tt.modify(&h)
			_, _, err := h.coreConfig(caddy.NewReplacer())
			if err == nil {
				t.Fatal("no error for a placeholder that expands to nothing")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not name %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error %q echoes the literal part of a secret", err)
			}
		})
	}
}

func TestValidateNamesTheBadField(t *testing.T) {
	t.Parallel()
	valid := func() Handler {
		return Handler{
			Tenants: []Tenant{{Name: "demo", APIKeys: []string{"key-SECRET"}, APISecret: "secret-SECRET"}},
			Peppers: []string{"pepper-SECRET-0123456789"},
		}
	}
	if h := valid(); h.Validate() != nil {
		t.Fatalf("the base config is invalid: %v", h.Validate())
	}
	tests := []struct {
		name   string
		modify func(h *Handler)
		want   string
	}{
		{"no tenant", func(h *Handler) { h.Tenants = nil }, "at least one tenant"},
		{"tenant without name", func(h *Handler) { h.Tenants[0].Name = "" }, "tenant 1: name is required"},
		{"tenant without api_key", func(h *Handler) { h.Tenants[0].APIKeys = nil }, `tenant "demo": api_key is required`},
		{"tenant without api_secret", func(h *Handler) { h.Tenants[0].APISecret = "" }, `tenant "demo": api_secret is required`},
		{"bad plan_expires", func(h *Handler) { h.Tenants[0].PlanExpires = "tomorrow" }, "plan_expires"},
		{"negative pin length", func(h *Handler) { h.Tenants[0].PINMinLength = -1 }, "pin_length"},
		{"unknown mfa", func(h *Handler) { h.Tenants[0].MFA = "sms" }, "mfa"},
		{"unknown token_format", func(h *Handler) { h.Tenants[0].TokenFormat = "opaque" }, `token_format: unknown value "opaque"`},
		{"unknown pin_reset_email", func(h *Handler) { h.Tenants[0].PINResetEmail = "sms" }, `pin_reset_email: unknown value "sms"`},
		{"unknown password_reset_email", func(h *Handler) { h.Tenants[0].PasswordResetEmail = "sms" }, `password_reset_email: unknown value "sms"`},
		{"question without text", func(h *Handler) { h.Tenants[0].SecurityQuestions = []SecurityQuestion{{ID: "q"}} }, "security_question"},
		{"no pepper", func(h *Handler) { h.Peppers = nil }, "pepper is required"},
		{"bad signing_alg", func(h *Handler) { h.SigningAlg = "none" }, "signing_alg"},
		{"negative access_ttl", func(h *Handler) { h.AccessTTL = -1 }, "access_ttl"},
		{"negative refresh_ttl", func(h *Handler) { h.RefreshTTL = -1 }, "refresh_ttl"},
		{"negative session_ttl", func(h *Handler) { h.SessionTTL = -1 }, "session_ttl"},
		{"negative key_rotation", func(h *Handler) { h.KeyRotation = -1 }, "key_rotation"},
		{"unknown store backend", func(h *Handler) { h.Store = &Store{Backend: "redis"} }, "store"},
		{"postgres without a DSN", func(h *Handler) { h.Store = &Store{Backend: "postgres"} }, "store postgres: a DSN is required"},
		{"postgres with a path", func(h *Handler) {
			h.Store = &Store{Backend: "postgres", DSN: "postgres://u:SECRET@db/x", Path: "x.db"}
		}, "store postgres: path is for store sqlite"},
		{"postgres with a negative max_conns", func(h *Handler) {
			h.Store = &Store{Backend: "postgres", DSN: "postgres://u:SECRET@db/x", MaxConns: -1}
		}, "must not be negative"},
		{"sqlite with a DSN", func(h *Handler) { h.Store = &Store{Backend: "sqlite", DSN: "postgres://u:SECRET@db/x"} }, "store sqlite: dsn"},
		{"unknown hash", func(h *Handler) { h.Hash = &Hash{Algorithm: "md5"} }, "hash"},
		{"negative max_concurrent_hashes", func(h *Handler) { h.MaxConcurrentHashes = -2 }, "max_concurrent_hashes"},
		{"negative lockout", func(h *Handler) { h.Lockout = &Lockout{Attempts: -1} }, "lockout"},
		{"unknown lock type", func(h *Handler) { h.Lockout = &Lockout{Type: "forever"} }, "lockout"},
		{"relative public path", func(h *Handler) { h.Public = []string{"healthz"} }, "public"},
		{"public path that is never canonical", func(h *Handler) { h.Public = []string{"/healthz", "/app;v=1/*"} }, `public: path "/app;v=1/*"`},
		{"public path with a dot segment", func(h *Handler) { h.Public = []string{"/static/../x"} }, "no request could match it"},
		{"accept_tenants naming no tenant", func(h *Handler) { h.AcceptTenants = []string{"nosuch"} }, `accept_tenants: tenant "nosuch" is not configured`},
		{"accept_tenants without the login page's", func(h *Handler) {
			h.Tenants = append(h.Tenants, Tenant{Name: "second", APIKeys: []string{"k2-0123456789"}, APISecret: "s2-0123456789abcdef"})
			h.AcceptTenants = []string{"second"}
			h.LoginPage = &LoginPage{}
		}, "the login page's tenant"},
		{"login page path with a wildcard", func(h *Handler) { h.LoginPage = &LoginPage{Path: "/login*"} }, `login_page: path "/login*"`},
		{"login page cookie name with a prefix", func(h *Handler) {
			h.LoginPage, h.Cookie = &LoginPage{}, &Cookie{Name: "__Host-x"}
		}, `cookie: name "__Host-x"`},
		{"relative api_prefix", func(h *Handler) { h.APIPrefix = "identity" }, "api_prefix"},
		{"header_prefix with a space", func(h *Handler) { h.HeaderPrefix = "X Auth-" }, "header_prefix"},
		{"negative cache_size", func(h *Handler) { h.CacheSize = -1 }, "cache_size"},
		{"captcha lockout without captcha", func(h *Handler) { h.Lockout = &Lockout{Type: "captcha"} }, "lockout: type captcha needs a captcha provider"},
		{"negative rate_limit", func(h *Handler) { h.RateLimit = &RateLimit{Requests: -1} }, "rate_limit"},
		{"unknown captcha provider", func(h *Handler) { h.Captcha = &Captcha{Provider: "x", Secret: "cap-SECRET"} }, "captcha: unknown provider"},
		{"captcha without secret", func(h *Handler) { h.Captcha = &Captcha{Provider: "recaptcha"} }, "captcha: a secret is required"},
		{"tencent without app_id", func(h *Handler) { h.Captcha = &Captcha{Provider: "tencent", Secret: "cap-SECRET"} }, "captcha: tencent needs app_id"},
		{"captcha always and after", func(h *Handler) {
			h.Captcha = &Captcha{Provider: "recaptcha", Secret: "cap-SECRET", Always: true, After: 2}
		}, "captcha: always and after"},
		{"captcha min_score", func(h *Handler) { h.Captcha = &Captcha{Provider: "recaptcha", Secret: "cap-SECRET", MinScore: 2} }, "captcha: min_score"},
		{"captcha verify_url", func(h *Handler) {
			h.Captcha = &Captcha{Provider: "recaptcha", Secret: "cap-SECRET", VerifyURL: "ftp://x/y"}
		}, "captcha: verify_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := valid()
			tt.modify(&h)
			err := h.Validate()
			if err == nil {
				t.Fatal("Validate accepted a bad config")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error %q echoes a secret", err)
			}
		})
	}
}
