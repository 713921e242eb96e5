package caddymodule

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
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
//			pin_reset_email   link|otp
//			message_templates <dir>
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
//		header_prefix <prefix>
//		header_preset authelia|oauth2-proxy|authentik
//		forward_token true|false
//		cache_size    <bytes>
//		api_prefix    <path>
//		login_page    [<path>] {
//			tenant       <name>
//			template_dir <dir>
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
//	}
//
// tenant, api_key, allowed_origins, security_question, public and webhook
// may be repeated; every other subdirective may appear once. Durations use Caddy's
// syntax (90s, 15m, 7d); cache_size accepts sizes such as 64MiB. Secrets
// take placeholders ({env.X}, {file./path}), expanded when the config is
// loaded. The field docs of Handler and Tenant give every default.
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
		"lockout", "rate_limit", "captcha", "public", "header_prefix", "header_preset", "forward_token", "cache_size", "api_prefix",
		"login_page", "cookie", "webhook", "email", "sms", "reset_token_ttl", "otp_ttl",
	}
	captchaLevel = []string{"app_id", "site_key", "verify_url", "always", "after", "min_score", "action", "timeout"}
	tenantLevel  = []string{
		"api_key", "api_secret", "plan_expires", "pin_required", "pin_length",
		"allow_weak_pins", "allowed_origins", "mfa", "security_question", "webhook",
		"reset_pin_url", "pin_reset_email", "message_templates",
	}
	// planned are in the Caddyfile specification but not in this version.
	planned = []string{}
)

func (p *parser) directive(h *Handler) error {
	d := p.d
	name := d.Val()
	switch name {
	case "tenant":
		t, err := p.tenant()
		if err != nil {
			return err
		}
		for _, other := range h.Tenants {
			if other.Name == t.Name {
				return d.Errf("tenant %q: defined twice", t.Name)
			}
		}
		h.Tenants = append(h.Tenants, t)
		return nil
	case "webhook":
		w, err := p.webhook()
		h.Webhooks = append(h.Webhooks, w)
		return err
	case "public":
		args, err := p.args(name, 1, -1)
		h.Public = append(h.Public, args...)
		return err
	}

	if p.seen[name] {
		return d.Errf("%s: given more than once", name)
	}
	p.seen[name] = true

	switch name {
	case "store":
		return p.store(h)
	case "pepper":
		args, err := p.args(name, 1, -1)
		h.Peppers = args
		return err
	case "issuer":
		return p.single(name, &h.Issuer)
	case "signing_alg":
		if err := p.single(name, &h.SigningAlg); err != nil {
			return err
		}
		switch h.SigningAlg {
		case "EdDSA", "ES256", "RS256", "HS256":
		default:
			return d.Errf("signing_alg: unsupported algorithm %q (want EdDSA, ES256, RS256 or HS256)", h.SigningAlg)
		}
	case "signing_key":
		return p.single(name, &h.SigningKey)
	case "access_ttl":
		return p.duration(name, &h.AccessTTL)
	case "refresh_ttl":
		return p.duration(name, &h.RefreshTTL)
	case "session_ttl":
		return p.duration(name, &h.SessionTTL)
	case "key_rotation":
		return p.duration(name, &h.KeyRotation)
	case "hash":
		return p.hash(h)
	case "max_concurrent_hashes":
		args, err := p.args(name, 1, 1)
		if err != nil {
			return err
		}
		h.MaxConcurrentHashes, err = p.positiveInt(name, args[0])
		return err
	case "lockout":
		return p.lockout(h)
	case "rate_limit":
		return p.rateLimit(h)
	case "captcha":
		return p.captcha(h)
	case "header_prefix":
		return p.single(name, &h.HeaderPrefix)
	case "header_preset":
		if err := p.single(name, &h.HeaderPreset); err != nil {
			return err
		}
		if !knownHeaderPreset(h.HeaderPreset) {
			return d.Errf("header_preset: unknown preset %q (want authelia, oauth2-proxy or authentik)", h.HeaderPreset)
		}
	case "forward_token":
		b, err := p.boolean(name)
		h.ForwardToken = &b
		return err
	case "cache_size":
		args, err := p.args(name, 1, 1)
		if err != nil {
			return err
		}
		size, err := humanize.ParseBytes(args[0])
		if err != nil || size == 0 || size > 1<<62 {
			return d.Errf("cache_size: invalid size %q (want e.g. 64MiB)", args[0])
		}
		h.CacheSize = int64(size)
	case "api_prefix":
		if err := p.single(name, &h.APIPrefix); err != nil {
			return err
		}
		if !strings.HasPrefix(h.APIPrefix, "/") {
			return d.Errf("api_prefix: %q must start with /", h.APIPrefix)
		}
	case "login_page":
		return p.loginPage(h)
	case "cookie":
		return p.cookie(h)
	case "email":
		return p.parseEmail(h)
	case "sms":
		return p.parseSMS(h)
	case "reset_token_ttl":
		return p.duration(name, &h.ResetTokenTTL)
	case "otp_ttl":
		return p.duration(name, &h.OTPTTL)
	default:
		return p.unknown(topLevel)
	}
	return nil
}

// loginPage parses `login_page [<path>] { tenant <name>; template_dir <dir> }`.
func (p *parser) loginPage(h *Handler) error {
	d := p.d
	lp := &LoginPage{}
	args := d.RemainingArgs()
	switch len(args) {
	case 0:
	case 1:
		lp.Path = args[0]
		if !strings.HasPrefix(lp.Path, "/") || lp.Path == "/" {
			return d.Errf("login_page: path %q must start with / and not be /", lp.Path)
		}
	default:
		return d.Errf("login_page: want at most one path, got %d values", len(args))
	}
	sub := parser{d: d, seen: map[string]bool{}}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		name := d.Val()
		if sub.seen[name] {
			return d.Errf("login_page: %s: given more than once", name)
		}
		sub.seen[name] = true
		var err error
		switch name {
		case "tenant":
			err = sub.single(name, &lp.Tenant)
		case "template_dir":
			err = sub.single(name, &lp.TemplateDir)
		default:
			return d.Err("login_page: unknown subdirective (known: tenant, template_dir)")
		}
		if err != nil {
			return err
		}
	}
	h.LoginPage = lp
	return nil
}

// cookie parses `cookie { name <n>; domain <d>; insecure }`.
func (p *parser) cookie(h *Handler) error {
	d := p.d
	if d.NextArg() {
		return d.Err("cookie: takes a block, not values")
	}
	c := &Cookie{}
	sub := parser{d: d, seen: map[string]bool{}}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		name := d.Val()
		if sub.seen[name] {
			return d.Errf("cookie: %s: given more than once", name)
		}
		sub.seen[name] = true
		switch name {
		case "name":
			if err := sub.single(name, &c.Name); err != nil {
				return err
			}
		case "domain":
			if err := sub.single(name, &c.Domain); err != nil {
				return err
			}
		case "insecure":
			if _, err := sub.args(name, 0, 0); err != nil {
				return err
			}
			c.Insecure = true
		default:
			return d.Err("cookie: unknown subdirective (known: name, domain, insecure)")
		}
	}
	h.Cookie = c
	return nil
}

// tenant parses `tenant <name> { … }`.
func (p *parser) tenant() (Tenant, error) {
	d := p.d
	var t Tenant
	if !d.NextArg() {
		return t, d.Err("tenant: a name is required")
	}
	t.Name = d.Val()
	if d.NextArg() {
		return t, d.Errf("tenant %q: takes one name, then a block", t.Name)
	}
	tp := parser{d: d, seen: map[string]bool{}}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		if err := tp.tenantDirective(&t); err != nil {
			return t, err
		}
	}
	return t, nil
}

func (p *parser) tenantDirective(t *Tenant) error {
	d := p.d
	name := d.Val()
	switch name {
	case "api_key":
		args, err := p.args(name, 1, 1)
		if err != nil {
			return err
		}
		t.APIKeys = append(t.APIKeys, args[0])
		return nil
	case "webhook":
		w, err := p.webhook()
		t.Webhooks = append(t.Webhooks, w)
		return err
	case "allowed_origins":
		args, err := p.args(name, 1, -1)
		t.AllowedOrigins = append(t.AllowedOrigins, args...)
		return err
	case "security_question":
		args, err := p.args(name, 2, -1)
		if err != nil {
			return err
		}
		for _, q := range t.SecurityQuestions {
			if q.ID == args[0] {
				return d.Errf("security_question: id %q is used twice", args[0])
			}
		}
		t.SecurityQuestions = append(t.SecurityQuestions, SecurityQuestion{
			ID: args[0], Text: strings.Join(args[1:], " "),
		})
		return nil
	}

	if p.seen[name] {
		return d.Errf("%s: given more than once", name)
	}
	p.seen[name] = true

	switch name {
	case "api_secret":
		return p.single(name, &t.APISecret)
	case "plan_expires":
		if err := p.single(name, &t.PlanExpires); err != nil {
			return err
		}
		if _, err := time.Parse(time.RFC3339, t.PlanExpires); err != nil {
			return d.Errf("plan_expires: %q is not an RFC 3339 time (e.g. 2030-01-02T15:04:05Z)", t.PlanExpires)
		}
	case "pin_required":
		b, err := p.boolean(name)
		t.PINRequired = &b
		return err
	case "pin_length":
		args, err := p.args(name, 1, 2)
		if err != nil {
			return err
		}
		if t.PINMinLength, err = p.positiveInt(name, args[0]); err != nil {
			return err
		}
		if len(args) == 2 {
			if t.PINMaxLength, err = p.positiveInt(name, args[1]); err != nil {
				return err
			}
			if t.PINMaxLength < t.PINMinLength {
				return d.Errf("pin_length: max %d is less than min %d", t.PINMaxLength, t.PINMinLength)
			}
		}
	case "allow_weak_pins":
		if _, err := p.args(name, 0, 0); err != nil {
			return err
		}
		t.AllowWeakPINs = true
	case "mfa":
		if err := p.single(name, &t.MFA); err != nil {
			return err
		}
		if t.MFA != "security_question" {
			return d.Errf("mfa: unknown method %q (want security_question)", t.MFA)
		}
	case "reset_pin_url":
		return p.single(name, &t.ResetPINURL)
	case "pin_reset_email":
		if err := p.single(name, &t.PINResetEmail); err != nil {
			return err
		}
		if t.PINResetEmail != "link" && t.PINResetEmail != "otp" {
			return d.Errf("pin_reset_email: unknown value %q (want link or otp)", t.PINResetEmail)
		}
	case "message_templates":
		return p.single(name, &t.MessageTemplates)
	default:
		return p.unknown(tenantLevel)
	}
	return nil
}

// store parses `store sqlite [<path>]` and `store postgres <dsn> { … }`.
// The DSN may hold a password: no error repeats it.
func (p *parser) store(h *Handler) error {
	d := p.d
	args := d.RemainingArgs()
	if len(args) == 0 || len(args) > 2 {
		return d.Errf("store: want 1 to 2 values, got %d", len(args))
	}
	switch args[0] {
	case backendSQLite:
		if d.NextBlock(d.Nesting()) {
			return d.Err("store sqlite: does not take a block")
		}
		h.Store = &Store{Backend: backendSQLite}
		if len(args) == 2 {
			h.Store.Path = args[1]
		}
		return nil
	case backendPostgres:
		if len(args) != 2 {
			return d.Err("store postgres: want a DSN, e.g. postgres://user@host:5432/db")
		}
		s := &Store{Backend: backendPostgres, DSN: args[1]}
		seen := map[string]bool{}
		for nesting := d.Nesting(); d.NextBlock(nesting); {
			opt := d.Val()
			var err error
			switch opt {
			case "max_conns":
				var a []string
				if a, err = p.args(opt, 1, 1); err == nil {
					s.MaxConns, err = p.positiveInt(opt, a[0])
				}
			case "connect_timeout":
				err = p.duration(opt, &s.ConnectTimeout)
			case "query_timeout":
				err = p.duration(opt, &s.QueryTimeout)
			default:
				// Not echoed: a misplaced secret could stand here.
				return d.Err("store postgres: unknown option (want max_conns, connect_timeout or query_timeout)")
			}
			if err != nil {
				return err
			}
			if seen[opt] {
				return d.Errf("store postgres: %s given more than once", opt)
			}
			seen[opt] = true
		}
		h.Store = s
		return nil
	}
	return d.Errf("store: unsupported backend %q (want sqlite or postgres)", args[0])
}

// hash parses `hash argon2id <time> <memory_kib> <threads>`.
func (p *parser) hash(h *Handler) error {
	d := p.d
	args, err := p.args("hash", 4, 4)
	if err != nil {
		return err
	}
	if args[0] != hashArgon2id {
		return d.Errf("hash: unsupported algorithm %q (want argon2id)", args[0])
	}
	t, err1 := strconv.ParseUint(args[1], 10, 32)
	m, err2 := strconv.ParseUint(args[2], 10, 32)
	th, err3 := strconv.ParseUint(args[3], 10, 8)
	if err1 != nil || err2 != nil || err3 != nil || t == 0 || m == 0 || th == 0 {
		return d.Err("hash: want argon2id <time> <memory_kib> <threads> as positive integers (threads at most 255)")
	}
	h.Hash = &Hash{Algorithm: hashArgon2id, Time: uint32(t), MemoryKiB: uint32(m), Threads: uint8(th)}
	return nil
}

// lockout parses `lockout <attempts> <window> <duration> [<type>]`.
func (p *parser) lockout(h *Handler) error {
	d := p.d
	args, err := p.args("lockout", 3, 4)
	if err != nil {
		return err
	}
	l := &Lockout{}
	if l.Attempts, err = p.positiveInt("lockout", args[0]); err != nil {
		return err
	}
	window, err := caddy.ParseDuration(args[1])
	if err != nil || window <= 0 {
		return d.Errf("lockout: invalid window %q (want a duration such as 15m)", args[1])
	}
	dur, err := caddy.ParseDuration(args[2])
	if err != nil || dur <= 0 {
		return d.Errf("lockout: invalid duration %q (want a duration such as 15m)", args[2])
	}
	l.Window, l.Duration = caddy.Duration(window), caddy.Duration(dur)
	if len(args) == 4 {
		if _, ok := lockTypes[args[3]]; !ok {
			return d.Errf("lockout: unknown type %q (want suspend, captcha or block)", args[3])
		}
		l.Type = args[3]
	}
	h.Lockout = l
	return nil
}

// rateLimit parses `rate_limit <requests> <window>`.
func (p *parser) rateLimit(h *Handler) error {
	args, err := p.args("rate_limit", 2, 2)
	if err != nil {
		return err
	}
	r := &RateLimit{}
	if r.Requests, err = p.positiveInt("rate_limit", args[0]); err != nil {
		return err
	}
	window, err := caddy.ParseDuration(args[1])
	if err != nil || window <= 0 {
		return p.d.Errf("rate_limit: invalid window %q (want a duration such as 1m)", args[1])
	}
	r.Window = caddy.Duration(window)
	h.RateLimit = r
	return nil
}

// captcha parses `captcha <provider> <secret> [{ … }]`. The secret is
// never quoted in an error.
func (p *parser) captcha(h *Handler) error {
	d := p.d
	args := d.RemainingArgs()
	if len(args) != 2 {
		return d.Errf("captcha: want a provider and a secret, got %d value(s)", len(args))
	}
	c := &Captcha{Provider: args[0], Secret: args[1]}
	switch c.Provider {
	case "recaptcha", "hcaptcha", "tencent":
	default:
		return d.Errf("captcha: unknown provider %q (want recaptcha, hcaptcha or tencent)", c.Provider)
	}
	bp := parser{d: d, seen: map[string]bool{}}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		if err := bp.captchaDirective(c); err != nil {
			return err
		}
	}
	if c.Provider == "tencent" && c.AppID == "" {
		return d.Err("captcha: tencent needs app_id")
	}
	h.Captcha = c
	return nil
}

func (p *parser) captchaDirective(c *Captcha) error {
	d := p.d
	name := d.Val()
	if p.seen[name] {
		return d.Errf("captcha: %s: given more than once", name)
	}
	p.seen[name] = true
	if (name == "always" && p.seen["after"]) || (name == "after" && p.seen["always"]) {
		return d.Err("captcha: always and after exclude each other")
	}
	switch name {
	case "app_id":
		return p.single(name, &c.AppID)
	case "site_key":
		return p.single(name, &c.SiteKey)
	case "verify_url":
		if err := p.single(name, &c.VerifyURL); err != nil {
			return err
		}
		if u, err := url.Parse(c.VerifyURL); !strings.Contains(c.VerifyURL, "{") &&
			(err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
			return d.Errf("verify_url: %q is not an absolute http or https URL", c.VerifyURL)
		}
	case "always":
		if _, err := p.args(name, 0, 0); err != nil {
			return err
		}
		c.Always = true
	case "after":
		args, err := p.args(name, 1, 1)
		if err != nil {
			return err
		}
		c.After, err = p.positiveInt(name, args[0])
		return err
	case "min_score":
		args, err := p.args(name, 1, 1)
		if err != nil {
			return err
		}
		score, err := strconv.ParseFloat(args[0], 64)
		if err != nil || score <= 0 || score > 1 {
			return d.Errf("min_score: %q is not a number above 0 and at most 1", args[0])
		}
		c.MinScore = score
	case "action":
		return p.single(name, &c.Action)
	case "timeout":
		return p.duration(name, &c.Timeout)
	default:
		return p.unknown(captchaLevel)
	}
	return nil
}

// args returns the rest of the line, checking there are lo to hi values
// (hi < 0: no limit) and no block. The error names the subdirective, never
// a value: some values are secrets.
func (p *parser) args(name string, lo, hi int) ([]string, error) {
	d := p.d
	args := d.RemainingArgs()
	if d.NextBlock(d.Nesting()) {
		return nil, d.Errf("%s: does not take a block", name)
	}
	switch {
	case len(args) >= lo && (hi < 0 || len(args) <= hi):
		return args, nil
	case hi == 0:
		return nil, d.Errf("%s: takes no value", name)
	case lo == hi && lo == 1:
		return nil, d.Errf("%s: want exactly one value, got %d", name, len(args))
	case lo == hi:
		return nil, d.Errf("%s: want %d values, got %d", name, lo, len(args))
	case hi < 0:
		return nil, d.Errf("%s: want at least %d value(s), got %d", name, lo, len(args))
	default:
		return nil, d.Errf("%s: want %d to %d values, got %d", name, lo, hi, len(args))
	}
}

// single reads exactly one value into dst.
func (p *parser) single(name string, dst *string) error {
	args, err := p.args(name, 1, 1)
	if err != nil {
		return err
	}
	*dst = args[0]
	return nil
}

func (p *parser) duration(name string, dst *caddy.Duration) error {
	args, err := p.args(name, 1, 1)
	if err != nil {
		return err
	}
	v, err := caddy.ParseDuration(args[0])
	if err != nil || v <= 0 {
		return p.d.Errf("%s: invalid duration %q (want e.g. 15m, 12h or 7d)", name, args[0])
	}
	*dst = caddy.Duration(v)
	return nil
}

func (p *parser) boolean(name string) (bool, error) {
	args, err := p.args(name, 1, 1)
	if err != nil {
		return false, err
	}
	switch args[0] {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, p.d.Errf("%s: want true or false, got %q", name, args[0])
}

func (p *parser) positiveInt(name, s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, p.d.Errf("%s: %q is not a positive integer", name, s)
	}
	return n, nil
}

// unknown reports the current token as an unknown subdirective. It never
// quotes the token: a secret continued on its own line (pepper values
// lined up under each other) arrives here as a "subdirective", and echoing
// it would put the secret in logs. It suggests a known name instead.
func (p *parser) unknown(known []string) error {
	got := p.d.Val()
	for _, name := range planned {
		if got == name {
			return p.d.Errf("%s: not supported by this version yet", name)
		}
	}
	best, bestDist := "", 3
	for _, name := range known {
		if dist := editDistance(got, name); dist < bestDist {
			best, bestDist = name, dist
		}
	}
	if best != "" {
		return p.d.Errf("unknown subdirective (did you mean %s?)", best)
	}
	return p.d.Errf("unknown subdirective (known: %s)", strings.Join(known, ", "))
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
