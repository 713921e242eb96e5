package caddymodule

import (
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/operator"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// cliAccount is an account as `user show --json` and `user list --json`
// print it.
type cliAccount struct {
	UID              string         `json:"uid"`
	Email            string         `json:"email,omitempty"`
	Username         string         `json:"username,omitempty"`
	Phone            string         `json:"phone,omitempty"`
	Roles            []string       `json:"roles"`
	Active           bool           `json:"active"`
	HasPassword      bool           `json:"has_password"`
	HasPIN           bool           `json:"has_pin"`
	NeedsSecretReset bool           `json:"needs_secret_reset"`
	Failures         int            `json:"failures"`
	LockType         string         `json:"lock_type,omitempty"`
	LockedUntil      string         `json:"locked_until,omitempty"`
	Profile          map[string]any `json:"profile"`
}

func cliAccountOf(info operator.AccountInfo) cliAccount {
	p := info.Profile
	a := cliAccount{
		UID: str(p["Uid"]), Username: str(p["UserName"]), Phone: str(p["PhoneId"]),
		HasPassword: info.HasPassword, HasPIN: info.HasPIN, NeedsSecretReset: info.NeedsSecretReset,
		Failures: info.Failures, LockType: string(info.Lock.LockType), Profile: p, Roles: []string{},
	}
	a.Active, _ = p["IsActive"].(bool)
	if roles, ok := p["Roles"].([]string); ok {
		a.Roles = roles
	}
	if emails, ok := p["Email"].([]store.Email); ok {
		a.Email = primaryEmail(emails)
	}
	if !info.Lock.LockedUntil.IsZero() {
		a.LockedUntil = info.Lock.LockedUntil.UTC().Format(time.RFC3339)
	}
	return a
}

func primaryEmail(es []store.Email) string {
	acc := store.Account{Emails: es}
	return acc.PrimaryEmail()
}
