package caddymodule

import (
	"strings"
	"time"
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
	case "template_alias":
		args, err := p.args(name, 2, 2)
		if err != nil {
			return err
		}
		if _, dup := t.TemplateAliases[args[0]]; dup {
			return d.Errf("template_alias: %q is given twice", args[0])
		}
		if t.TemplateAliases == nil {
			t.TemplateAliases = map[string]string{}
		}
		t.TemplateAliases[args[0]] = args[1]
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
		return p.either(name, &t.PINResetEmail, "link", "otp")
	case "password_reset_email":
		return p.either(name, &t.PasswordResetEmail, "link", "otp")
	case "message_templates":
		return p.single(name, &t.MessageTemplates)
	case "token_format":
		return p.either(name, &t.TokenFormat, "jwt", "uuid")
	default:
		return p.unknown(tenantLevel)
	}
	return nil
}

// either parses `<name> a|b`.
func (p *parser) either(name string, dst *string, a, b string) error {
	if err := p.single(name, dst); err != nil {
		return err
	}
	if *dst != a && *dst != b {
		return p.d.Errf("%s: unknown value %q (want %s or %s)", name, *dst, a, b)
	}
	return nil
}
