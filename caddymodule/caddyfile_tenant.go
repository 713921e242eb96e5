package caddymodule

import (
	"strings"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/recovery"
)

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

// tenantDirective parses one subdirective of a tenant block into t.
func (p *parser) tenantDirective(t *Tenant) error {
	name := p.d.Val()
	if repeatable, err := p.tenantRepeatable(t, name); repeatable {
		return err
	}
	if p.seen[name] {
		return p.d.Errf("%s: given more than once", name)
	}
	p.seen[name] = true
	for _, group := range []func(*Tenant, string) (bool, error){p.tenantLogin, p.tenantReset} {
		if known, err := group(t, name); known {
			return err
		}
	}
	return p.unknown(tenantLevel)
}

// tenantRepeatable parses the tenant's subdirectives that may be given
// more than once; it reports whether name is one.
func (p *parser) tenantRepeatable(t *Tenant, name string) (bool, error) {
	switch name {
	case "api_key":
		args, err := p.args(name, 1, 1)
		t.APIKeys = append(t.APIKeys, args...)
		return true, err
	case "webhook":
		w, err := p.webhook()
		t.Webhooks = append(t.Webhooks, w)
		return true, err
	case "allowed_origins":
		args, err := p.args(name, 1, -1)
		t.AllowedOrigins = append(t.AllowedOrigins, args...)
		return true, err
	case "security_question":
		return true, p.securityQuestion(t)
	case "template_alias":
		return true, p.templateAlias(t)
	}
	return false, nil
}

// securityQuestion parses `security_question <id> <text...>`.
func (p *parser) securityQuestion(t *Tenant) error {
	args, err := p.args("security_question", 2, -1)
	if err != nil {
		return err
	}
	for _, q := range t.SecurityQuestions {
		if q.ID == args[0] {
			return p.d.Errf("security_question: id %q is used twice", args[0])
		}
	}
	t.SecurityQuestions = append(t.SecurityQuestions, SecurityQuestion{
		ID: args[0], Text: strings.Join(args[1:], " "),
	})
	return nil
}

// templateAlias parses `template_alias <name> <set>`.
func (p *parser) templateAlias(t *Tenant) error {
	args, err := p.args("template_alias", 2, 2)
	if err != nil {
		return err
	}
	if _, dup := t.TemplateAliases[args[0]]; dup {
		return p.d.Errf("template_alias: %q is given twice", args[0])
	}
	if t.TemplateAliases == nil {
		t.TemplateAliases = map[string]string{}
	}
	t.TemplateAliases[args[0]] = args[1]
	return nil
}

// tenantLogin parses what a login of the tenant needs and gets: the API
// secret, the plan, the PIN rules, the second factor and the token format;
// it reports whether name is one of them.
func (p *parser) tenantLogin(t *Tenant, name string) (bool, error) {
	switch name {
	case "api_secret":
		return true, p.single(name, &t.APISecret)
	case "plan_expires":
		if err := p.single(name, &t.PlanExpires); err != nil {
			return true, err
		}
		if _, err := time.Parse(time.RFC3339, t.PlanExpires); err != nil {
			return true, p.d.Errf("plan_expires: %q is not an RFC 3339 time (e.g. 2030-01-02T15:04:05Z)", t.PlanExpires)
		}
		return true, nil
	case "pin_required":
		b, err := p.boolean(name)
		t.PINRequired = &b
		return true, err
	case "pin_length":
		return true, p.pinLength(t)
	case "allow_weak_pins":
		_, err := p.args(name, 0, 0)
		t.AllowWeakPINs = err == nil
		return true, err
	case "mfa":
		return true, p.choice(name, &t.MFA, config.CheckMFA)
	case "token_format":
		return true, p.choice(name, &t.TokenFormat, config.CheckTokenFormat)
	}
	return false, nil
}

// pinLength parses `pin_length <min> [<max>]`.
func (p *parser) pinLength(t *Tenant) error {
	args, err := p.args("pin_length", 1, 2)
	if err != nil {
		return err
	}
	if t.PINMinLength, err = p.positiveInt("pin_length", args[0]); err != nil {
		return err
	}
	if len(args) == 1 {
		return nil
	}
	if t.PINMaxLength, err = p.positiveInt("pin_length", args[1]); err != nil {
		return err
	}
	if t.PINMaxLength < t.PINMinLength {
		return p.d.Errf("pin_length: max %d is less than min %d", t.PINMaxLength, t.PINMinLength)
	}
	return nil
}

// tenantReset parses the tenant's reset messages: the link page, the
// modes and the templates; it reports whether name is one of them.
func (p *parser) tenantReset(t *Tenant, name string) (bool, error) {
	switch name {
	case "reset_pin_url":
		return true, p.single(name, &t.ResetPINURL)
	case "delete_account_url":
		return true, p.single(name, &t.DeleteAccountURL)
	case "pin_reset_email":
		return true, p.choice(name, &t.PINResetEmail, recovery.CheckMode)
	case "password_reset_email":
		return true, p.choice(name, &t.PasswordResetEmail, recovery.CheckMode)
	case "message_templates":
		return true, p.single(name, &t.MessageTemplates)
	case "registration":
		return true, p.registration(t)
	}
	return false, nil
}

// choice parses `<name> <value>` where check, from the package that owns
// the list of values, accepts the value.
func (p *parser) choice(name string, dst *string, check func(string) error) error {
	if err := p.single(name, dst); err != nil {
		return err
	}
	if err := check(*dst); err != nil {
		return p.d.Errf("%s: %v", name, err)
	}
	return nil
}
