package store

import (
	"encoding/json"
	"strings"
	"time"
)

// Account is one end user of a tenant. Secrets are argon2id strings produced
// by the core; the store treats them as opaque.
type Account struct {
	Tenant string
	UID    string
	// Emails are the account's addresses: its login and recovery
	// identifiers. EmailVerified tells whether they are verified.
	Emails []Email
	// UnverifiedEmails are addresses added but not verified yet
	// (LoginRadius's UnverifiedEmail): each takes its name, so no other
	// account can have it, but none is an identifier: no login or recovery
	// finds the account by it until VerifyEmail moves it into Emails. See
	// verification.go.
	UnverifiedEmails []Email
	Username         string
	Phone            string

	PasswordHash string
	PINHash      string
	// PINChangedAt is when the current PIN was set; zero when none is set.
	PINChangedAt time.Time
	PINSkipped   bool
	PINSkippedAt time.Time
	// SecurityAnswers maps a question id to the hash of its answer.
	SecurityAnswers map[string]string
	// NeedsSecretReset marks accounts imported without usable secrets: they
	// must set them through a reset flow.
	NeedsSecretReset bool

	Roles []string
	// RoleContexts are the account's role contexts, by Context unique.
	RoleContexts []RoleContext
	Active       bool
	// EmailVerified is LoginRadius's flag of the same name: the addresses
	// in Emails are verified. (UnverifiedEmails never are.)
	EmailVerified bool

	NoOfLogins        int
	LastLoginAt       time.Time
	LastLoginLocation string
	CreatedAt         time.Time
	ModifiedAt        time.Time

	// Profile holds every other LoginRadius profile field (FirstName,
	// CustomFields, …) as given, so unknown fields survive a round trip.
	// Each value comes back byte for byte (no re-encoding, no reordering).
	Profile map[string]json.RawMessage

	// Version is the optimistic-concurrency counter, maintained by the
	// store: 1 after CreateAccount, +1 on every SaveAccount.
	Version int64
}

// Ref returns the account's reference.
func (a *Account) Ref() AccountRef { return AccountRef{Tenant: a.Tenant, UID: a.UID} }

// PrimaryEmail returns the first email of type Primary, else the first email,
// else "".
func (a *Account) PrimaryEmail() string {
	for _, e := range a.Emails {
		if strings.EqualFold(e.Type, "Primary") {
			return e.Value
		}
	}
	if len(a.Emails) > 0 {
		return a.Emails[0].Value
	}
	return ""
}

// Identifiers returns every identifier that must be unique in the tenant, in
// normalized form.
func (a *Account) Identifiers() []Identifier {
	var ids []Identifier
	for _, e := range a.Emails {
		if e.Value != "" {
			ids = append(ids, Identifier{Kind: IdentEmail, Value: NormalizeIdentifier(IdentEmail, e.Value)})
		}
	}
	if a.Username != "" {
		ids = append(ids, Identifier{Kind: IdentUsername, Value: NormalizeIdentifier(IdentUsername, a.Username)})
	}
	if a.Phone != "" {
		ids = append(ids, Identifier{Kind: IdentPhone, Value: NormalizeIdentifier(IdentPhone, a.Phone)})
	}
	return ids
}

// Names returns the account's tenant-wide names: its Uid, every
// identifier and every unverified email, as NameOf gives them, each name
// once with the first field that gives it (uid, then emails, unverified
// emails, phone, username). See Tx.CreateAccount.
func (a *Account) Names() []Name {
	names := []Name{{Value: NameOf(a.UID), Field: FieldUID}}
	add := func(v, field string) {
		if v == "" {
			return
		}
		n := NameOf(v)
		for _, have := range names {
			if have.Value == n {
				return
			}
		}
		names = append(names, Name{Value: n, Field: field})
	}
	for _, e := range a.Emails {
		add(e.Value, string(IdentEmail))
	}
	for _, e := range a.UnverifiedEmails {
		add(e.Value, string(IdentEmail))
	}
	add(a.Phone, string(IdentPhone))
	add(a.Username, string(IdentUsername))
	return names
}

// Email is one address of an account, in LoginRadius's shape.
type Email struct {
	Type  string `json:"Type"`
	Value string `json:"Value"`
}
