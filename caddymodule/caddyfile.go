package caddymodule

import (
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/pinauth/caddy-pinauth/pinauth/identityheaders"
	"github.com/pinauth/caddy-pinauth/pinauth/tokens"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("pin_auth", parseCaddyfile)
	// Right after basic_auth: the gate must run before handle, route,
	// respond, reverse_proxy and file_server, or they would serve
	// unauthenticated requests. Registering it spares operators a global
	// order line.
	httpcaddyfile.RegisterDirectiveOrder("pin_auth", httpcaddyfile.After, "basic_auth")
}

// parseCaddyfile sets up the handler from Caddyfile tokens.
func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	var handler Handler
	if err := handler.UnmarshalCaddyfile(h.Dispenser); err != nil {
		return nil, err
	}
	return &handler, nil
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	pin_auth [<matcher>] {
//		tenant <name> {
//			api_key      <key>
//			api_secret   <secret>
//			plan_expires <RFC3339 time>
//			pin_required true|false
//			pin_length   <min> [<max>]
//			allow_weak_pins
//			allowed_origins <origin...>
//			mfa security_question
//			security_question <id> <text...>
//			reset_pin_url     <url>
//			delete_account_url <url>
//			pin_reset_email   link|otp
//			password_reset_email link|otp
//			message_templates <dir>
//			template_alias    <name> <set>
//			token_format      jwt|uuid
//			registration open|invite_only|off {
//				invite              <address|@domain...>
//				required_fields     <field...>
//				password_min_length <n>
//				password_classes    <n>
//				allow_unverified
//				verification_url    <url>
//				verification_email  link|otp
//				welcome_email
//			}
//			webhook <url> { … }   # as below, for this tenant's events only
//		}
//		store sqlite [<path>]
//		store postgres <dsn> {
//			max_conns       <n>
//			connect_timeout <duration>
//			query_timeout   <duration>
//		}
//		pepper        <secret> [<older>...]
//		issuer        <string>
//		signing_alg   EdDSA|ES256|RS256|HS256
//		signing_key   <secret or PEM>
//		access_ttl    <duration>
//		refresh_ttl   <duration>
//		session_ttl   <duration>
//		key_rotation  <interval>
//		hash argon2id <time> <memory_kib> <threads>
//		max_concurrent_hashes <n>
//		lockout <attempts> <window> <duration> [suspend|captcha|block]
//		rate_limit <requests> <window>
//		captcha recaptcha|hcaptcha|tencent <secret> {
//			app_id     <id>
//			site_key   <key>
//			verify_url <url>
//			always | after <failures>
//			min_score  <0..1>
//			action     <name>
//			timeout    <duration>
//		}
//		public <path...>
//		accept_tenants <name...>
//		header_prefix <prefix>
//		header_preset authelia|oauth2-proxy|authentik
//		forward_token true|false
//		cache_size    <bytes>
//		api_prefix    <path>
//		auth_request  <path>
//		login_page    [<path>] {
//			tenant       <name>
//			template_dir <dir>
//			product_name <name>
//			logo_url     <url>
//			accent_color <rrggbb>
//			support_url  <url>
//			text         <lang> <key> <text>
//		}
//		cookie {
//			name     <name>
//			domain   <domain>
//			insecure
//		}
//		webhook <url> {
//			secret  <secret>
//			events  <name...>
//			timeout <duration>
//			retry   <attempts> [<initial> [<max>]]
//		}
//		email smtp <host:port> {
//			from      <address>
//			username  <user>
//			password  <secret>
//			starttls | tls | plain
//			templates <dir>
//			timeout   <duration>
//			limit     <per_identifier> <per_ip> <window>
//		}
//		sms <url> {
//			auth    [<account_sid>] <token>
//			from    <number>
//			timeout <duration>
//			limit   <per_identifier> <per_ip> <window>
//		}
//		reset_token_ttl <duration>
//		otp_ttl         <duration>
//		delete_token_ttl <duration>
//	}
//
// tenant, api_key, allowed_origins, security_question, template_alias,
// public and webhook may be repeated; every other subdirective may appear once. Durations use Caddy's
// syntax (90s, 15m, 7d); cache_size accepts sizes such as 64MiB. Secrets
// take placeholders ({env.X}, {file./path}, and {env.X:default}, which
// falls back to the default when X is unset or empty), expanded when the
// config is loaded; a secret still at such a default is logged as a
// warning. The field docs of Handler and Tenant give every default.
//
// Error messages name the subdirective and never repeat the value of
// api_key, api_secret, pepper, signing_key, the captcha secret, the email
// password or the SMS auth token.
func (h *Handler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume directive name
	if d.NextArg() {
		return d.Err("pin_auth: takes no arguments, only a block")
	}
	p := parser{d: d, seen: map[string]bool{}}
	for d.NextBlock(0) {
		if err := p.directive(h); err != nil {
			return err
		}
	}
	return nil
}

// parser walks the subdirectives of one pin_auth block.
type parser struct {
	d    *caddyfile.Dispenser
	seen map[string]bool
}

// topLevel, tenantLevel and planned are the subdirective names, used to
// suggest a correction for a misspelt one.
var (
	topLevel = []string{
		"tenant", "store", "pepper", "issuer", "signing_alg", "signing_key",
		"access_ttl", "refresh_ttl", "session_ttl", "key_rotation", "hash", "max_concurrent_hashes",
		"lockout", "rate_limit", "captcha", "public", "accept_tenants", "header_prefix", "header_preset", "forward_token", "cache_size", "api_prefix",
		"auth_request", "login_page", "cookie", "webhook", "email", "sms", "reset_token_ttl", "otp_ttl",
		"delete_token_ttl",
	}
	captchaLevel = []string{"app_id", "site_key", "verify_url", "always", "after", "min_score", "action", "timeout"}
	tenantLevel  = []string{
		"api_key", "api_secret", "plan_expires", "pin_required", "pin_length",
		"allow_weak_pins", "allowed_origins", "mfa", "security_question", "webhook",
		"reset_pin_url", "pin_reset_email", "password_reset_email", "message_templates", "template_alias", "token_format",
		"delete_account_url",
		"registration",
	}
	// planned are in the Caddyfile specification but not in this version.
	planned = []string{}
)

// directive parses one subdirective of the pin_auth block into h.
func (p *parser) directive(h *Handler) error {
	name := p.d.Val()
	if repeatable, err := p.repeatable(h, name); repeatable {
		return err
	}
	if p.seen[name] {
		return p.d.Errf("%s: given more than once", name)
	}
	p.seen[name] = true
	for _, group := range []func(*Handler, string) (bool, error){
		p.tokenDirective, p.guardDirective, p.httpDirective, p.resetDirective,
	} {
		if known, err := group(h, name); known {
			return err
		}
	}
	return p.unknown(topLevel)
}

// repeatable parses the subdirectives that may be given more than once;
// it reports whether name is one.
func (p *parser) repeatable(h *Handler, name string) (bool, error) {
	switch name {
	case "tenant":
		t, err := p.tenant()
		if err != nil {
			return true, err
		}
		for _, other := range h.Tenants {
			if other.Name == t.Name {
				return true, p.d.Errf("tenant %q: defined twice", t.Name)
			}
		}
		h.Tenants = append(h.Tenants, t)
		return true, nil
	case "webhook":
		w, err := p.webhook()
		h.Webhooks = append(h.Webhooks, w)
		return true, err
	case "public":
		args, err := p.args(name, 1, -1)
		h.Public = append(h.Public, args...)
		return true, err
	}
	return false, nil
}

// tokenDirective parses the store, the secrets and what shapes the
// tokens; it reports whether name is one of them.
func (p *parser) tokenDirective(h *Handler, name string) (bool, error) {
	switch name {
	case "store":
		return true, p.store(h)
	case "pepper":
		args, err := p.args(name, 1, -1)
		h.Peppers = args
		return true, err
	case "issuer":
		return true, p.single(name, &h.Issuer)
	case "signing_alg":
		if err := p.single(name, &h.SigningAlg); err != nil {
			return true, err
		}
		if err := tokens.CheckAlg(h.SigningAlg); err != nil {
			return true, p.d.Errf("signing_alg: %v", err)
		}
		return true, nil
	case "signing_key":
		return true, p.single(name, &h.SigningKey)
	case "access_ttl":
		return true, p.duration(name, &h.AccessTTL)
	case "refresh_ttl":
		return true, p.duration(name, &h.RefreshTTL)
	case "session_ttl":
		return true, p.duration(name, &h.SessionTTL)
	case "key_rotation":
		return true, p.duration(name, &h.KeyRotation)
	}
	return false, nil
}

// guardDirective parses the hashing, lockout, rate limit and captcha
// settings; it reports whether name is one of them.
func (p *parser) guardDirective(h *Handler, name string) (bool, error) {
	switch name {
	case "hash":
		return true, p.hash(h)
	case "max_concurrent_hashes":
		args, err := p.args(name, 1, 1)
		if err != nil {
			return true, err
		}
		h.MaxConcurrentHashes, err = p.positiveInt(name, args[0])
		return true, err
	case "lockout":
		return true, p.lockout(h)
	case "rate_limit":
		return true, p.rateLimit(h)
	case "captcha":
		return true, p.captcha(h)
	}
	return false, nil
}

// httpDirective parses what the gateway serves and forwards: the protected
// path's tenants and headers, the cache, the API prefix and the login page;
// it reports whether name is one of them.
func (p *parser) httpDirective(h *Handler, name string) (bool, error) {
	switch name {
	case "accept_tenants":
		args, err := p.args(name, 1, -1)
		h.AcceptTenants = args
		return true, err
	case "header_prefix":
		return true, p.single(name, &h.HeaderPrefix)
	case "header_preset":
		if err := p.single(name, &h.HeaderPreset); err != nil {
			return true, err
		}
		if err := identityheaders.ValidatePreset(h.HeaderPreset); err != nil {
			return true, p.d.Errf("header_preset: %v", err)
		}
		return true, nil
	case "forward_token":
		b, err := p.boolean(name)
		h.ForwardToken = &b
		return true, err
	case "cache_size":
		return true, p.cacheSize(h)
	case "api_prefix":
		if err := p.single(name, &h.APIPrefix); err != nil {
			return true, err
		}
		if !strings.HasPrefix(h.APIPrefix, "/") {
			return true, p.d.Errf("api_prefix: %q must start with /", h.APIPrefix)
		}
		return true, nil
	case "auth_request":
		if err := p.single(name, &h.AuthRequest); err != nil {
			return true, err
		}
		if !strings.HasPrefix(h.AuthRequest, "/") {
			return true, p.d.Errf("auth_request: %q must start with /", h.AuthRequest)
		}
		return true, nil
	case "login_page":
		return true, p.loginPage(h)
	case "cookie":
		return true, p.cookie(h)
	}
	return false, nil
}

// cacheSize parses the cache_size subdirective: a size in bytes, e.g. 64MiB.
func (p *parser) cacheSize(h *Handler) error {
	args, err := p.args("cache_size", 1, 1)
	if err != nil {
		return err
	}
	size, err := humanize.ParseBytes(args[0])
	if err != nil || size == 0 || size > 1<<62 {
		return p.d.Errf("cache_size: invalid size %q (want e.g. 64MiB)", args[0])
	}
	h.CacheSize = int64(size)
	return nil
}

// resetDirective parses the senders and lifetimes of the reset messages;
// it reports whether name is one of them.
func (p *parser) resetDirective(h *Handler, name string) (bool, error) {
	switch name {
	case "email":
		return true, p.parseEmail(h)
	case "sms":
		return true, p.parseSMS(h)
	case "reset_token_ttl":
		return true, p.duration(name, &h.ResetTokenTTL)
	case "otp_ttl":
		return true, p.duration(name, &h.OTPTTL)
	case "delete_token_ttl":
		return true, p.duration(name, &h.DeleteTokenTTL)
	}
	return false, nil
}
