package caddymodule

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"
)

// envDefault matches the runtime placeholder with a default,
// {env.NAME:default}: the variable's value when it is set and not empty,
// else the default. Caddy's own runtime placeholders have no defaults and
// its adapt-time ones ({$NAME:default}) write the variable's value into
// the adapted JSON, which `caddy run` saves as autosave.json: with this
// form a secret taken from the environment stays out of every file while
// a development config still starts with no environment at all. The
// default may not contain braces.
var envDefault = regexp.MustCompile(`\{env\.([A-Za-z_][A-Za-z0-9_]*):([^{}]*)\}`)

// replaceWithEnvDefaults expands s as repl.ReplaceOrErr(s, true, false)
// does (an empty placeholder is an error, an unknown one stays as
// written), plus {env.NAME:default}. Values are never expanded again: a
// variable holding "{file./etc/shadow}" is taken as those characters.
func replaceWithEnvDefaults(repl *caddy.Replacer, s string) (string, error) {
	var out strings.Builder
	last := 0
	for _, m := range envDefault.FindAllStringSubmatchIndex(s, -1) {
		if m[0] > 0 && s[m[0]-1] == '\\' {
			continue // an escaped brace: Caddy's replacer unescapes it
		}
		lit, err := repl.ReplaceOrErr(s[last:m[0]], true, false)
		if err != nil {
			return "", err
		}
		out.WriteString(lit)
		val, _ := repl.GetString("env." + s[m[2]:m[3]])
		if val == "" {
			val = s[m[4]:m[5]]
		}
		if val == "" {
			return "", fmt.Errorf("evaluated placeholder {env.%s:} is empty, and so is its default", s[m[2]:m[3]])
		}
		out.WriteString(val)
		last = m[1]
	}
	lit, err := repl.ReplaceOrErr(s[last:], true, false)
	if err != nil {
		return "", err
	}
	out.WriteString(lit)
	return out.String(), nil
}

// devDefault is a secret setting whose value is the default of its
// {env.NAME:default} placeholder because NAME is not set.
type devDefault struct {
	setting  string // as the Caddyfile names it: "pepper", `tenant "demo": api_secret`
	variable string // the environment variable to set
}

// devDefaults lists the secrets of h that fall back to the default of
// their placeholder. Such a default is written in the config file (and
// in autosave.json): fine for a development config, never for a
// deployment, so Provision warns about each one.
func (h *Handler) devDefaults(repl *caddy.Replacer) []devDefault {
	var out []devDefault
	check := func(setting, value string) {
		for _, m := range envDefault.FindAllStringSubmatch(value, -1) {
			if v, _ := repl.GetString("env." + m[1]); v == "" {
				out = append(out, devDefault{setting: setting, variable: m[1]})
			}
		}
	}
	for i, p := range h.Peppers {
		setting := "pepper"
		if len(h.Peppers) > 1 {
			setting = fmt.Sprintf("pepper %d", i+1)
		}
		check(setting, p)
	}
	check("signing_key", h.SigningKey)
	for _, t := range h.Tenants {
		check(fmt.Sprintf("tenant %q: api_secret", t.Name), t.APISecret)
		for _, w := range t.Webhooks {
			check(fmt.Sprintf("tenant %q: webhook secret", t.Name), w.Secret)
		}
	}
	for _, w := range h.Webhooks {
		check("webhook secret", w.Secret)
	}
	if c := h.Captcha; c != nil {
		check("captcha secret", c.Secret)
	}
	if s := h.Store; s != nil {
		check("store postgres DSN", s.DSN)
	}
	if e := h.Email; e != nil {
		check("email password", e.Password)
	}
	if s := h.SMS; s != nil {
		check("sms auth", s.Token)
	}
	return out
}

// warnDevDefaults logs one warning per secret still at its development
// default, naming the variable that replaces it.
func warnDevDefaults(log *zap.Logger, defaults []devDefault) {
	for _, d := range defaults {
		log.Warn("development default in use: set "+d.variable,
			zap.String("setting", d.setting),
			zap.String("variable", d.variable))
	}
}
