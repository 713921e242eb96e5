package caddymodule

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

func ptr[T any](v T) *T { return &v }

func TestUnmarshalCaddyfileBuildsTheHandler(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		input string
		want  Handler
	}{
		{
			name: "minimal site block",
			input: `pin_auth {
				tenant demo {
					api_key {env.PINAUTH_API_KEY}
					api_secret {env.PINAUTH_API_SECRET}
				}
				pepper {env.PINAUTH_PEPPER}
			}`,
			want: Handler{
				Tenants: []Tenant{{
					Name:      "demo",
					APIKeys:   []string{"{env.PINAUTH_API_KEY}"},
					APISecret: "{env.PINAUTH_API_SECRET}",
				}},
				Peppers: []string{"{env.PINAUTH_PEPPER}"},
			},
		},
		{
			name: "every subdirective",
			input: `pin_auth {
				tenant shop {
					api_key new-key
					api_key old-key
					api_secret shop-secret
					plan_expires 2030-01-02T15:04:05Z
					pin_required false
					pin_length 6 8
					allow_weak_pins
					allowed_origins https://a.example https://b.example
					allowed_origins https://c.example
					mfa security_question
					security_question pet What was your first pet?
					security_question city "Where were you born?"
					token_format uuid
				}
				tenant blog {
					api_key blog-key
					api_secret blog-secret
					pin_required true
					pin_length 5
					token_format jwt
				}
				store sqlite /var/lib/pinauth.db
				pepper current-pepper-0001 older-pepper-0002
				issuer https://auth.example
				signing_alg HS256
				signing_key {file./run/secrets/jwt}
				access_ttl 90s
				refresh_ttl 30d
				session_ttl 7d
				key_rotation 30d
				hash argon2id 3 65536 4
				max_concurrent_hashes 8
				lockout 7 10m 1h captcha
				rate_limit 100 30s
				captcha tencent {env.CAPTCHA_SECRET} {
					app_id 2094639739
					site_key public-site-key
					verify_url http://127.0.0.1:9999/verify
					after 3
					min_score 0.7
					action login
					timeout 2s
				}
				public /healthz /assets/*
				public /favicon.ico
				header_prefix X-User-
				forward_token false
				cache_size 32MiB
				api_prefix /auth
			}`,
			want: Handler{
				Tenants: []Tenant{
					{
						Name:           "shop",
						APIKeys:        []string{"new-key", "old-key"},
						APISecret:      "shop-secret",
						PlanExpires:    "2030-01-02T15:04:05Z",
						PINRequired:    ptr(false),
						PINMinLength:   6,
						PINMaxLength:   8,
						AllowWeakPINs:  true,
						AllowedOrigins: []string{"https://a.example", "https://b.example", "https://c.example"},
						MFA:            "security_question",
						SecurityQuestions: []SecurityQuestion{
							{ID: "pet", Text: "What was your first pet?"},
							{ID: "city", Text: "Where were you born?"},
						},
						TokenFormat: "uuid",
					},
					{
						Name:         "blog",
						APIKeys:      []string{"blog-key"},
						APISecret:    "blog-secret",
						PINRequired:  ptr(true),
						PINMinLength: 5,
						TokenFormat:  "jwt",
					},
				},
				Store:               &Store{Backend: "sqlite", Path: "/var/lib/pinauth.db"},
				Peppers:             []string{"current-pepper-0001", "older-pepper-0002"},
				Issuer:              "https://auth.example",
				SigningAlg:          "HS256",
				SigningKey:          "{file./run/secrets/jwt}",
				AccessTTL:           caddy.Duration(90 * time.Second),
				RefreshTTL:          caddy.Duration(30 * 24 * time.Hour),
				SessionTTL:          caddy.Duration(7 * 24 * time.Hour),
				KeyRotation:         caddy.Duration(30 * 24 * time.Hour),
				Hash:                &Hash{Algorithm: "argon2id", Time: 3, MemoryKiB: 65536, Threads: 4},
				MaxConcurrentHashes: 8,
				Lockout:             &Lockout{Attempts: 7, Window: caddy.Duration(10 * time.Minute), Duration: caddy.Duration(time.Hour), Type: "captcha"},
				RateLimit:           &RateLimit{Requests: 100, Window: caddy.Duration(30 * time.Second)},
				Captcha: &Captcha{
					Provider: "tencent", Secret: "{env.CAPTCHA_SECRET}", AppID: "2094639739", SiteKey: "public-site-key",
					VerifyURL: "http://127.0.0.1:9999/verify", After: 3, MinScore: 0.7, Action: "login",
					Timeout: caddy.Duration(2 * time.Second),
				},
				Public:       []string{"/healthz", "/assets/*", "/favicon.ico"},
				HeaderPrefix: "X-User-",
				ForwardToken: ptr(false),
				CacheSize:    32 << 20,
				APIPrefix:    "/auth",
			},
		},
		{
			name: "captcha without a block",
			input: `pin_auth {
				captcha recaptcha rc-secret
			}`,
			want: Handler{Captcha: &Captcha{Provider: "recaptcha", Secret: "rc-secret"}},
		},
		{
			name: "captcha always",
			input: `pin_auth {
				captcha hcaptcha hc-secret {
					always
				}
			}`,
			want: Handler{Captcha: &Captcha{Provider: "hcaptcha", Secret: "hc-secret", Always: true}},
		},
		{
			name: "store postgres with every pool option",
			input: `pin_auth {
				store postgres {env.PINAUTH_DSN} {
					max_conns 20
					connect_timeout 3s
					query_timeout 2s
				}
			}`,
			want: Handler{
				Store: &Store{Backend: "postgres", DSN: "{env.PINAUTH_DSN}", MaxConns: 20,
					ConnectTimeout: caddy.Duration(3 * time.Second), QueryTimeout: caddy.Duration(2 * time.Second)},
			},
		},
		{
			name:  "store postgres without a block",
			input: "pin_auth {\n store postgres postgres://u@db:5432/x?sslmode=disable\n}",
			want:  Handler{Store: &Store{Backend: "postgres", DSN: "postgres://u@db:5432/x?sslmode=disable"}},
		},
		{
			name: "store without path and lockout without type",
			input: `pin_auth {
				store sqlite
				lockout 3 1m 2m
				forward_token true
				cache_size 1000000
			}`,
			want: Handler{
				Store:        &Store{Backend: "sqlite"},
				Lockout:      &Lockout{Attempts: 3, Window: caddy.Duration(time.Minute), Duration: caddy.Duration(2 * time.Minute)},
				ForwardToken: ptr(true),
				CacheSize:    1000000,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got Handler
			if err := got.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tt.input)); err != nil {
				t.Fatalf("UnmarshalCaddyfile: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestUnmarshalCaddyfileRejectsBadInputWithoutEchoingSecrets(t *testing.T) {
	t.Parallel()
	// wrap puts body inside a pin_auth block; tenant wraps it in a tenant.
	wrap := func(body string) string { return "pin_auth {\n" + body + "\n}" }
	tenant := func(body string) string { return wrap("tenant demo {\n" + body + "\n}") }

	tests := []struct {
		name    string
		input   string
		want    string   // the error must contain this
		secrets []string // and none of these
	}{
		{"argument on the directive", "pin_auth sekrit-arg-0001 {\n}", "pin_auth: takes no arguments", []string{"sekrit-arg-0001"}},
		{"misspelt subdirective", wrap("isuer https://x"), "did you mean issuer?", nil},
		{"pepper continued on a new line", wrap("pepper current-pepper-SECRET1\n  older-pepper-SECRET2"), "unknown subdirective", []string{"SECRET1", "SECRET2"}},
		{"lowercase secret on its own line", wrap("pepper correcthorsebatterystaple\ncorrecthorsebatterystapler"), "unknown subdirective", []string{"correcthorse"}},
		{"unknown tenant subdirective", tenant("api_kye k"), "did you mean api_key?", nil},

		{"api_key with two values", tenant("api_key key-SECRET1 key-SECRET2"), "api_key: want exactly one value", []string{"SECRET1", "SECRET2"}},
		{"api_key without value", tenant("api_key"), "api_key: want exactly one value", nil},
		{"api_key with a block", tenant("api_key key-SECRET1 {\nfoo\n}"), "api_key: does not take a block", []string{"SECRET1"}},
		{"api_secret with two values", tenant("api_secret sec-SECRET1 sec-SECRET2"), "api_secret: want exactly one value", []string{"SECRET1", "SECRET2"}},
		{"api_secret twice", tenant("api_secret sec-SECRET1\napi_secret sec-SECRET2"), "api_secret: given more than once", []string{"SECRET1", "SECRET2"}},
		{"pepper without value", wrap("pepper"), "pepper: want at least 1 value", nil},
		{"pepper twice", wrap("pepper pep-SECRET1\npepper pep-SECRET2"), "pepper: given more than once", []string{"SECRET1", "SECRET2"}},
		{"signing_key with two values", wrap("signing_key key-SECRET1 key-SECRET2"), "signing_key: want exactly one value", []string{"SECRET1", "SECRET2"}},
		{"store postgres without a DSN", wrap("store postgres"), "store postgres: want a DSN", nil},
		{"store postgres with an unknown option", wrap("store postgres postgres://u:pw-SECRET1@db/x {\npool_size 5\n}"), "store postgres: unknown option", []string{"SECRET1", "pool_size"}},
		{"store postgres with a secret in its block", wrap("store postgres postgres://db/x {\npw-SECRET2\n}"), "store postgres: unknown option", []string{"SECRET2"}},
		{"store postgres max_conns zero", wrap("store postgres postgres://u:pw-SECRET1@db/x {\nmax_conns 0\n}"), "max_conns", []string{"SECRET1"}},
		{"store postgres query_timeout not a duration", wrap("store postgres postgres://u:pw-SECRET1@db/x {\nquery_timeout soon\n}"), "query_timeout: invalid duration", []string{"SECRET1"}},
		{"store postgres option twice", wrap("store postgres postgres://u:pw-SECRET1@db/x {\nquery_timeout 1s\nquery_timeout 2s\n}"), "query_timeout given more than once", []string{"SECRET1"}},
		{"store sqlite with a block", wrap("store sqlite a.db {\nmax_conns 3\n}"), "store sqlite: does not take a block", nil},
		{"store of an unknown backend", wrap("store redis x"), "store: unsupported backend", nil},

		{"tenant without name", wrap("tenant {\napi_key k\n}"), "tenant: a name is required", nil},
		{"tenant with two names", wrap("tenant a b {\n}"), `tenant "a": takes one name`, nil},
		{"tenant defined twice", wrap("tenant a {\n}\ntenant a {\n}"), `tenant "a": defined twice`, nil},
		{"plan_expires not RFC 3339", tenant("plan_expires 2030-01-02"), "plan_expires", nil},
		{"pin_required not a boolean", tenant("pin_required yes"), "pin_required: want true or false", nil},
		{"pin_length max below min", tenant("pin_length 6 4"), "pin_length: max 4 is less than min 6", nil},
		{"pin_length not a number", tenant("pin_length four"), "pin_length", nil},
		{"pin_length three values", tenant("pin_length 4 6 8"), "pin_length: want 1 to 2 values", nil},
		{"allow_weak_pins with a value", tenant("allow_weak_pins true"), "allow_weak_pins: takes no value", nil},
		{"mfa unknown", tenant("mfa sms"), "mfa: unknown method", nil},
		{"token_format unknown", tenant("token_format opaque"), `token_format: unknown value "opaque" (want jwt or uuid)`, nil},
		{"token_format twice", tenant("token_format uuid\ntoken_format jwt"), "token_format: given more than once", nil},
		{"token_format without value", tenant("token_format"), "token_format: want exactly one value", nil},
		{"header_preset unknown", wrap("header_preset keycloak"), "header_preset: unknown preset", nil},
		{"header_preset twice", wrap("header_preset authelia\nheader_preset authentik"), "header_preset: given more than once", nil},
		{"security_question without text", tenant("security_question q1"), "security_question: want at least 2", nil},
		{"security_question id twice", tenant("security_question q1 A?\nsecurity_question q1 B?"), `security_question: id "q1" is used twice`, nil},
		{"allowed_origins empty", tenant("allowed_origins"), "allowed_origins", nil},
		{"template_alias without a set", tenant("template_alias LR-Forgot-PIN"), "template_alias: want 2 values, got 1", nil},
		{"template_alias twice", tenant("template_alias a shop\ntemplate_alias a other"), `template_alias: "a" is given twice`, nil},

		{"store without backend", wrap("store"), "store: want 1 to 2 values", nil},
		{"store sqlite with two paths", wrap("store sqlite a b"), "store: want 1 to 2 values", nil},
		{"signing_alg unknown", wrap("signing_alg ES512"), "signing_alg: unsupported algorithm", nil},
		{"access_ttl bad unit", wrap("access_ttl 15x"), "access_ttl: invalid duration", nil},
		{"refresh_ttl negative", wrap("refresh_ttl -1h"), "refresh_ttl: invalid duration", nil},
		{"session_ttl zero", wrap("session_ttl 0s"), "session_ttl: invalid duration", nil},
		{"key_rotation without interval", wrap("key_rotation"), "key_rotation", nil},
		{"key_rotation twice", wrap("key_rotation 1h\nkey_rotation 2h"), "key_rotation: given more than once", nil},
		{"issuer twice", wrap("issuer a\nissuer b"), "issuer: given more than once", nil},
		{"hash other algorithm", wrap("hash bcrypt 1 2 3"), "hash: unsupported algorithm", nil},
		{"hash too few values", wrap("hash argon2id 1 2"), "hash: want 4 values", nil},
		{"hash zero time", wrap("hash argon2id 0 65536 1"), "hash: want argon2id", nil},
		{"hash too many threads", wrap("hash argon2id 1 65536 256"), "hash: want argon2id", nil},
		{"max_concurrent_hashes zero", wrap("max_concurrent_hashes 0"), "max_concurrent_hashes", nil},
		{"lockout too few values", wrap("lockout 5 15m"), "lockout: want 3 to 4 values", nil},
		{"lockout unknown type", wrap("lockout 5 15m 15m forever"), "lockout: unknown type", nil},
		{"lockout bad attempts", wrap("lockout many 15m 15m"), "lockout", nil},
		{"lockout bad window", wrap("lockout 5 soon 15m"), "lockout: invalid window", nil},
		{"public without path", wrap("public"), "public: want at least 1", nil},
		{"forward_token not a boolean", wrap("forward_token no"), "forward_token: want true or false", nil},
		{"cache_size not a size", wrap("cache_size lots"), "cache_size: invalid size", nil},
		{"api_prefix relative", wrap("api_prefix identity"), "api_prefix", nil},
		{"auth_request relative", wrap("auth_request verify"), "auth_request: \"verify\" must start with /", nil},
		{"auth_request twice", wrap("auth_request /a\nauth_request /b"), "auth_request: given more than once", nil},

		{"rate_limit one value", wrap("rate_limit 300"), "rate_limit: want 2 values", nil},
		{"rate_limit zero", wrap("rate_limit 0 1m"), "rate_limit", nil},
		{"rate_limit bad window", wrap("rate_limit 300 often"), "rate_limit: invalid window", nil},
		{"captcha without secret", wrap("captcha recaptcha"), "captcha: want a provider and a secret", nil},
		{"captcha unknown provider", wrap("captcha turnstile cap-SECRET1"), "captcha: unknown provider", []string{"SECRET1"}},
		{"captcha secret and extra value", wrap("captcha hcaptcha cap-SECRET1 cap-SECRET2"), "captcha: want a provider and a secret", []string{"SECRET1", "SECRET2"}},
		{"captcha tencent without app_id", wrap("captcha tencent cap-SECRET1"), "tencent needs app_id", []string{"SECRET1"}},
		{"captcha always and after", wrap("captcha recaptcha s {\nalways\nafter 2\n}"), "always and after exclude each other", nil},
		{"captcha after zero", wrap("captcha recaptcha s {\nafter 0\n}"), "after", nil},
		{"captcha min_score above 1", wrap("captcha recaptcha s {\nmin_score 1.5\n}"), "min_score", nil},
		{"captcha relative verify_url", wrap("captcha recaptcha s {\nverify_url /siteverify\n}"), "verify_url", nil},
		{"captcha unknown subdirective", wrap("captcha recaptcha s {\nappid 1\n}"), "did you mean app_id?", nil},
		{"captcha subdirective twice", wrap("captcha recaptcha s {\ntimeout 1s\ntimeout 2s\n}"), "timeout: given more than once", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var h Handler
			err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tt.input))
			if err == nil {
				t.Fatalf("no error for:\n%s", tt.input)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not contain %q", msg, tt.want)
			}
			// Caddy adds the position; the operator needs it to find the line.
			if !strings.Contains(msg, "Testfile:") {
				t.Errorf("error %q does not name the file and line", msg)
			}
			for _, s := range tt.secrets {
				if strings.Contains(msg, s) {
					t.Errorf("error %q echoes the secret %q", msg, s)
				}
			}
		})
	}
}
