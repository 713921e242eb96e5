package caddymodule

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/pinauth/caddy-pinauth/pinauth/captcha"
	"github.com/pinauth/caddy-pinauth/pinauth/hashing"
	"github.com/pinauth/caddy-pinauth/pinauth/loginpage"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// loginPage parses `login_page [<path>] { tenant <name>; template_dir
// <dir>; product_name <name>; logo_url <url>; accent_color <rrggbb>;
// support_url <url>; text <lang> <key> <text> … }`.
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
		case "product_name":
			err = sub.single(name, &lp.ProductName)
		case "logo_url":
			err = sub.single(name, &lp.LogoURL)
		case "accent_color":
			err = sub.single(name, &lp.AccentColor)
		case "support_url":
			err = sub.single(name, &lp.SupportURL)
		case "text":
			// One line per text: text <lang> <key> <text>.
			delete(sub.seen, name)
			err = loginPageText(d, lp)
		default:
			return d.Err("login_page: unknown subdirective (known: tenant, template_dir, product_name, logo_url, accent_color, support_url, text)")
		}
		if err != nil {
			return err
		}
	}
	h.LoginPage = lp
	return nil
}

// loginPageText parses one `text <lang> <key> <text>` line of login_page.
func loginPageText(d *caddyfile.Dispenser, lp *LoginPage) error {
	args := d.RemainingArgs()
	if len(args) != 3 {
		return d.Errf("login_page: text: want <lang> <key> <text> (quote the text), got %d values", len(args))
	}
	if lp.Text == nil {
		lp.Text = map[string]map[string]string{}
	}
	if lp.Text[args[0]] == nil {
		lp.Text[args[0]] = map[string]string{}
	}
	if _, dup := lp.Text[args[0]][args[1]]; dup {
		return d.Errf("login_page: text %s %s: given more than once", args[0], args[1])
	}
	lp.Text[args[0]][args[1]] = args[2]
	return nil
}

// brand is the page's brand as the core takes it.
func (lp *LoginPage) brand() loginpage.Brand {
	return loginpage.Brand{ProductName: lp.ProductName, LogoURL: lp.LogoURL, AccentColor: lp.AccentColor, SupportURL: lp.SupportURL}
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
	if err := hashing.CheckAlgorithm(args[0]); err != nil {
		return d.Errf("hash: %v", err)
	}
	t, err1 := strconv.ParseUint(args[1], 10, 32)
	m, err2 := strconv.ParseUint(args[2], 10, 32)
	th, err3 := strconv.ParseUint(args[3], 10, 8)
	if err1 != nil || err2 != nil || err3 != nil || t == 0 || m == 0 || th == 0 {
		return d.Err("hash: want argon2id <time> <memory_kib> <threads> as positive integers (threads at most 255)")
	}
	h.Hash = &Hash{Algorithm: hashing.Algorithm, Time: uint32(t), MemoryKiB: uint32(m), Threads: uint8(th)}
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
		if _, err := store.ParseLockType(args[3]); err != nil {
			return d.Errf("lockout: %v", err)
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
	if err := captcha.CheckProvider(c.Provider); err != nil {
		return d.Errf("captcha: %v", err)
	}
	bp := parser{d: d, seen: map[string]bool{}}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		if err := bp.captchaDirective(c); err != nil {
			return err
		}
	}
	if c.Provider == captcha.Tencent && c.AppID == "" {
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
