package webhook

import (
	"fmt"
	"strings"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
)

// The webhook events (Payload.HookName is the lower-cased name).
const (
	// Login: a password or PIN login.
	Login = "Login"
	// SetPIN: a PIN set on an account that had none.
	SetPIN = "SetPIN"
	// ChangePIN: a PIN replaced.
	ChangePIN = "ChangePIN"
	// ResetPIN: a PIN set with a reset token.
	ResetPIN = "ResetPIN"
	// ResetPassword: a password set with an emailed reset token.
	ResetPassword = "ResetPassword"
	// ChangePassword: a password replaced by its owner, who gave the old
	// one (issue 20).
	ChangePassword = "ChangePassword"
	// SetPassword: a password set by an operator through the management
	// API (issue 20).
	SetPassword = "SetPassword"
	// BlockAccount: an account locked or blocked.
	BlockAccount = "BlockAccount"
	// Register: an account created.
	Register = "Register"
	// UpdateProfile: an account's profile changed.
	UpdateProfile = "UpdateProfile"
	// DeleteAccount: an account deleted.
	DeleteAccount = "DeleteAccount"
	// AssignRoles: roles given to an account, or a role context set.
	AssignRoles = "AssignRoles"
	// UnassignRoles: roles taken from an account or from one of its role
	// contexts, or a context's additional permissions removed.
	UnassignRoles = "UnassignRoles"
	// RemoveRoleContext: a role context of an account deleted.
	RemoveRoleContext = "RemoveRoleContext"
	// SetUsername: an account's username set or changed by its holder.
	SetUsername = "SetUsername"
	// AddEmail: an email added to an account (or its type changed).
	AddEmail = "AddEmail"
	// RemoveEmail: an email removed from an account.
	RemoveEmail = "RemoveEmail"
	// UpdatePhoneID: an account's phone number replaced by an operator
	// (the event is named "UpdatePhoneId", LoginRadius's spelling).
	UpdatePhoneID = "UpdatePhoneId"
	// EmailVerification: an account's email verified by its link or
	// code (issue 20).
	EmailVerification = "EmailVerification"
)

// names are the event names a webhook may subscribe to.
var names = []string{
	Login, SetPIN, ChangePIN, ResetPIN, ResetPassword, ChangePassword, SetPassword,
	BlockAccount, Register, UpdateProfile, DeleteAccount,
	AssignRoles, UnassignRoles, RemoveRoleContext, SetUsername, AddEmail, RemoveEmail,
	UpdatePhoneID,
	EmailVerification,
}

// CheckEvents reports the first of events that is no event name (in any
// case), listing the names in its error.
func CheckEvents(events []string) error {
	for _, e := range events {
		if !known(e) {
			return fmt.Errorf("unknown event %q (want %s)", e, strings.Join(names, ", "))
		}
	}
	return nil
}

func known(name string) bool {
	for _, h := range names {
		if strings.EqualFold(h, name) {
			return true
		}
	}
	return false
}

// IsSecurity reports whether hook is a security event: a lock or block,
// a PIN set, changed or reset, a password reset, changed or set, a change of privileges
// (roles and role contexts given or taken). A caller's prevent_webhook
// never suppresses these, whatever credentials it holds (issue 15, finding
// 9): with the public API key alone, anyone could otherwise guess PINs
// until the account locked, or reset a PIN, without the receiver hearing
// of it. To stop receiving them, leave them out of the webhook's events.
// An app back end deleting accounts with the API secret may still silence
// DeleteAccount, as it may its Register and UpdateProfile; an end user's
// self-service deletion may not (the core records that one as an
// operator's action).
func IsSecurity(hook string) bool {
	switch hook {
	case BlockAccount, SetPIN, ChangePIN, ResetPIN, ResetPassword, ChangePassword, SetPassword:
		return true
	case AssignRoles, UnassignRoles, RemoveRoleContext:
		// Whoever holds the API secret could otherwise raise an account's
		// privileges without the receiver hearing of it.
		return true
	case SetUsername, AddEmail, RemoveEmail, UpdatePhoneID:
		// Usernames, emails and phones are login and recovery
		// identifiers: a stolen access token (or the API secret) could
		// otherwise change them unheard.
		return true
	}
	return false
}

// Payload is LoginRadius's webhook body, plus the tenant.
type Payload struct {
	HookName string            `json:"HookName"`
	Time     any               `json:"Time"`
	HookID   string            `json:"HookId"`
	Tenant   string            `json:"Tenant"`
	Data     lrprofile.Profile `json:"Data"`
}

// NewPayload returns the body of event id, hook at time at, about an
// account of tenant whose profile is data. The profile's empty fields are
// dropped: an event carries what the account has, without the hundred
// nulls of LoginRadius's full profile shape, since every event is stored
// in the outbox until delivered and kept for the retention after.
func NewPayload(id, hook, tenant string, at time.Time, data lrprofile.Profile) Payload {
	for k, v := range data {
		if v == nil {
			delete(data, k)
		}
	}
	return Payload{HookName: strings.ToLower(hook), Time: lrprofile.Time(at), HookID: id, Tenant: tenant, Data: data}
}
