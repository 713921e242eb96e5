package caddymodule

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/notify"
)

// Email is the SMTP server that sends PIN reset emails (reset links and
// email OTPs).
type Email struct {
	// Server is the SMTP server's host:port. Required.
	Server string `json:"server,omitempty"`

	// From is the sender, an address with an optional display name
	// ("PIN service <no-reply@example.com>"). Required.
	From string `json:"from,omitempty"`

	// Username and Password log in to the server. Never logged.
	// Default: no authentication.
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`

	// Security is starttls (the server must offer it), tls (implicit TLS,
	// usually port 465) or plain (no TLS; with a password only to a
	// loopback host). Default: starttls.
	Security string `json:"security,omitempty"`

	// Templates is a directory whose files replace the built-in message
	// templates of the same name and add template sets (see README,
	// "Forgotten PINs"). Default: the built-in templates.
	Templates string `json:"templates,omitempty"`

	// Timeout bounds one delivery. Default: 10s.
	Timeout caddy.Duration `json:"timeout,omitempty"`

	// Limit bounds the emails asked for. Default: 5 per identifier and
	// 20 per client IP per hour.
	Limit *SendLimit `json:"limit,omitempty"`
}

// SMS is the HTTP SMS provider that sends PIN reset OTPs, shaped like
// Twilio's Messages API (form POST of To, From and Body, basic auth).
type SMS struct {
	// URL receives the POSTs; https, or http to a loopback host. Required.
	URL string `json:"url,omitempty"`

	// Username is the basic-auth user (Twilio: the account SID). Without
	// it Token is sent as a bearer token. Default: none.
	Username string `json:"username,omitempty"`

	// Token is the basic-auth password (Twilio: the auth token). Never
	// logged. Required.
	Token string `json:"token,omitempty"`

	// From is the sending number or sender id. Required.
	From string `json:"from,omitempty"`

	// Timeout bounds one delivery. Default: 10s.
	Timeout caddy.Duration `json:"timeout,omitempty"`

	// Limit bounds the SMS asked for. Default: 5 per identifier and 20
	// per client IP per hour.
	Limit *SendLimit `json:"limit,omitempty"`
}

// SendLimit bounds the messages of one channel.
type SendLimit struct {
	// PerIdentifier is how many messages one email address, username or
	// phone number may be sent per window, counted in the store (exact
	// across nodes). Default: 5.
	PerIdentifier int `json:"per_identifier,omitempty"`
	// PerIP is how many messages one client IP may ask for per window,
	// counted in memory on each node. Default: 20.
	PerIP int `json:"per_ip,omitempty"`
	// Window is the period both refer to. Default: 1h.
	Window caddy.Duration `json:"window,omitempty"`
}

// validate checks e with the core's rules (notify.EmailConfig.Validate)
// before its placeholders are expanded, plus what the Caddyfile adds: a
// timeout and limits are not negative. Errors never contain the password.
func (e *Email) validate() error {
	ec := notify.EmailConfig{Addr: e.Server, From: e.From, Username: e.Username, Password: e.Password, Security: e.Security}
	// A placeholder stands for a value the core checks once expanded:
	// here it gets a valid stand-in (a loopback server, so that the
	// plain-with-password rule waits for the real host).
	if strings.Contains(ec.Addr, "{") {
		ec.Addr = "127.0.0.1:25"
	}
	if strings.Contains(ec.From, "{") {
		ec.From = "placeholder@example.invalid"
	}
	if err := ec.Validate(); err != nil {
		return err
	}
	if e.Timeout < 0 {
		return errors.New("timeout must not be negative")
	}
	return e.Limit.validate()
}

// validate checks s with the core's rules (notify.SMSConfig.Validate)
// before its placeholders are expanded, plus what the Caddyfile adds: a
// timeout and limits are not negative. Errors never contain the token.
func (s *SMS) validate() error {
	sc := notify.SMSConfig{URL: s.URL, Username: s.Username, Password: s.Token, From: s.From}
	if strings.Contains(sc.URL, "{") {
		sc.URL = "https://placeholder.invalid/" // the core checks the expanded URL
	}
	if err := sc.Validate(); err != nil {
		return err
	}
	if s.Timeout < 0 {
		return errors.New("timeout must not be negative")
	}
	return s.Limit.validate()
}

func (l *SendLimit) validate() error {
	if l != nil && (l.PerIdentifier < 0 || l.PerIP < 0 || l.Window < 0) {
		return errors.New("limit: values must not be negative")
	}
	return nil
}

func (l *SendLimit) core() notify.SendLimit {
	if l == nil {
		return notify.SendLimit{}
	}
	return notify.SendLimit{PerIdentifier: l.PerIdentifier, PerIP: l.PerIP, Window: time.Duration(l.Window)}
}

// validateReset checks the PIN reset settings of h.
func (h *Handler) validateReset() error {
	if h.Email != nil {
		if err := h.Email.validate(); err != nil {
			return fmt.Errorf("email: %w", err)
		}
	}
	if h.SMS != nil {
		if err := h.SMS.validate(); err != nil {
			return fmt.Errorf("sms: %w", err)
		}
	}
	if h.ResetTokenTTL < 0 || h.OTPTTL < 0 || h.DeleteTokenTTL < 0 {
		return errors.New("reset_token_ttl, otp_ttl and delete_token_ttl must not be negative")
	}
	return nil
}

// resetConfig fills the PIN reset part of cfg, expanding placeholders.
func (h *Handler) resetConfig(x *expander, cfg *config.Config) {
	cfg.ResetTokenTTL, cfg.OTPTTL = time.Duration(h.ResetTokenTTL), time.Duration(h.OTPTTL)
	cfg.DeleteTokenTTL = time.Duration(h.DeleteTokenTTL)
	if e := h.Email; e != nil {
		cfg.Email = &notify.EmailConfig{
			Addr:     x.expand("email server", e.Server),
			From:     x.expand("email from", e.From),
			Username: x.expand("email username", e.Username),
			Password: x.expand("email password", e.Password),
			Security: e.Security,
			Timeout:  time.Duration(e.Timeout),
			Limit:    e.Limit.core(),
		}
		cfg.MessageTemplates = x.expand("email templates", e.Templates)
	}
	if s := h.SMS; s != nil {
		cfg.SMS = &notify.SMSConfig{
			URL:      x.expand("sms url", s.URL),
			Username: x.expand("sms auth", s.Username),
			Password: x.expand("sms auth", s.Token),
			From:     x.expand("sms from", s.From),
			Timeout:  time.Duration(s.Timeout),
			Limit:    s.Limit.core(),
		}
	}
}

// parseEmail parses `email smtp <host:port> { … }`.
func (p *parser) parseEmail(h *Handler) error {
	d := p.d
	args := d.RemainingArgs()
	if len(args) != 2 || args[0] != "smtp" {
		return d.Err("email: want smtp <host:port>, then a block")
	}
	e := &Email{Server: args[1]}
	sub := parser{d: d, seen: map[string]bool{}}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		if err := sub.emailDirective(e); err != nil {
			return err
		}
	}
	if err := e.validate(); err != nil {
		return d.Errf("email: %v", err)
	}
	h.Email = e
	return nil
}

// emailDirective parses one subdirective of the email block into e. The
// security keywords are notify.SMTPSecurities, of which one may be given.
func (p *parser) emailDirective(e *Email) error {
	d := p.d
	name := d.Val()
	security := slices.Contains(notify.SMTPSecurities, name)
	if p.seen[name] || (security && p.seen["security"]) {
		return d.Errf("email: %s: given more than once", name)
	}
	p.seen[name] = true
	if security {
		p.seen["security"] = true
		e.Security = name
		_, err := p.args(name, 0, 0)
		return err
	}
	var err error
	switch name {
	case "from":
		err = p.single(name, &e.From)
	case "username":
		err = p.single(name, &e.Username)
	case "password":
		err = p.single(name, &e.Password)
	case "templates":
		err = p.single(name, &e.Templates)
	case "timeout":
		err = p.duration(name, &e.Timeout)
	case "limit":
		e.Limit, err = p.sendLimit()
	default:
		return d.Errf("email: unknown subdirective (known: from, username, password, %s, templates, timeout, limit)",
			strings.Join(notify.SMTPSecurities, ", "))
	}
	return err
}

// parseSMS parses `sms <url> { auth [<user>] <token>; from <number>; … }`.
func (p *parser) parseSMS(h *Handler) error {
	d := p.d
	args := d.RemainingArgs()
	if len(args) != 1 {
		return d.Err("sms: want the provider URL, then a block")
	}
	s := &SMS{URL: args[0]}
	sub := parser{d: d, seen: map[string]bool{}}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		name := d.Val()
		if sub.seen[name] {
			return d.Errf("sms: %s: given more than once", name)
		}
		sub.seen[name] = true
		var err error
		switch name {
		case "auth":
			var vals []string
			if vals, err = sub.args(name, 1, 2); err == nil {
				s.Token = vals[len(vals)-1]
				if len(vals) == 2 {
					s.Username = vals[0]
				}
			}
		case "from":
			err = sub.single(name, &s.From)
		case "timeout":
			err = sub.duration(name, &s.Timeout)
		case "limit":
			s.Limit, err = sub.sendLimit()
		default:
			return d.Err("sms: unknown subdirective (known: auth, from, timeout, limit)")
		}
		if err != nil {
			return err
		}
	}
	if err := s.validate(); err != nil {
		return d.Errf("sms: %v", err)
	}
	h.SMS = s
	return nil
}

// sendLimit parses `limit <per_identifier> <per_ip> <window>`.
func (p *parser) sendLimit() (*SendLimit, error) {
	args, err := p.args("limit", 3, 3)
	if err != nil {
		return nil, err
	}
	l := &SendLimit{}
	if l.PerIdentifier, err = p.positiveInt("limit", args[0]); err != nil {
		return nil, err
	}
	if l.PerIP, err = p.positiveInt("limit", args[1]); err != nil {
		return nil, err
	}
	w, err := caddy.ParseDuration(args[2])
	if err != nil || w <= 0 {
		return nil, p.d.Errf("limit: invalid window %q (want a duration such as 1h)", args[2])
	}
	l.Window = caddy.Duration(w)
	return l, nil
}
