package rows

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// accountDoc is the stored JSON form of an account, the same in both
// backends (so a migration tool can copy documents between them); tenant,
// uid and version live in their own columns. Its field names are the
// on-disk format: rename nothing, only add.
type accountDoc struct {
	Emails            []store.Email     `json:"emails,omitempty"`
	UnverifiedEmails  []store.Email     `json:"unverified_emails,omitempty"`
	Username          string            `json:"username,omitempty"`
	Phone             string            `json:"phone,omitempty"`
	PasswordHash      string            `json:"password_hash,omitempty"`
	PINHash           string            `json:"pin_hash,omitempty"`
	PINChangedAt      time.Time         `json:"pin_changed_at,omitzero"`
	PINSkipped        bool              `json:"pin_skipped,omitempty"`
	PINSkippedAt      time.Time         `json:"pin_skipped_at,omitzero"`
	SecurityAnswers   map[string]string `json:"security_answers,omitempty"`
	NeedsSecretReset  bool              `json:"needs_secret_reset,omitempty"`
	Roles             []string          `json:"roles,omitempty"`
	RoleContexts      []roleContextDoc  `json:"role_contexts,omitempty"`
	Active            bool              `json:"active,omitempty"`
	EmailVerified     bool              `json:"email_verified,omitempty"`
	NoOfLogins        int               `json:"no_of_logins,omitempty"`
	LastLoginAt       time.Time         `json:"last_login_at,omitzero"`
	LastLoginLocation string            `json:"last_login_location,omitempty"`
	CreatedAt         time.Time         `json:"created_at,omitzero"`
	ModifiedAt        time.Time         `json:"modified_at,omitzero"`
	// Profile keeps each raw value as a JSON string: encoding/json compacts
	// and HTML-escapes an embedded json.RawMessage, and the contract is a
	// byte-for-byte round trip.
	Profile map[string]string `json:"profile,omitempty"`
}

// roleContextDoc is the stored form of a store.RoleContext.
type roleContextDoc struct {
	Context               string    `json:"context"`
	Roles                 []string  `json:"roles,omitempty"`
	AdditionalPermissions []string  `json:"additional_permissions,omitempty"`
	Expiration            time.Time `json:"expiration,omitzero"`
}

// EncodeAccount returns the stored document of a.
func EncodeAccount(a *store.Account) ([]byte, error) {
	d := accountDoc{
		Emails: a.Emails, UnverifiedEmails: a.UnverifiedEmails, Username: a.Username, Phone: a.Phone,
		PasswordHash: a.PasswordHash, PINHash: a.PINHash,
		PINChangedAt: a.PINChangedAt.UTC(), PINSkipped: a.PINSkipped, PINSkippedAt: a.PINSkippedAt.UTC(),
		SecurityAnswers: a.SecurityAnswers, NeedsSecretReset: a.NeedsSecretReset,
		Roles: a.Roles, Active: a.Active, EmailVerified: a.EmailVerified,
		NoOfLogins: a.NoOfLogins, LastLoginAt: a.LastLoginAt.UTC(), LastLoginLocation: a.LastLoginLocation,
		CreatedAt: a.CreatedAt.UTC(), ModifiedAt: a.ModifiedAt.UTC(),
	}
	for _, c := range a.RoleContexts {
		d.RoleContexts = append(d.RoleContexts, roleContextDoc{Context: c.Context, Roles: c.Roles,
			AdditionalPermissions: c.AdditionalPermissions, Expiration: c.Expiration.UTC()})
	}
	if len(a.Profile) > 0 {
		d.Profile = make(map[string]string, len(a.Profile))
		for k, v := range a.Profile {
			d.Profile[k] = string(v)
		}
	}
	return json.Marshal(&d)
}

// DecodeAccount returns the account stored as doc with the columns beside
// it.
func DecodeAccount(tenant, uid string, version int64, doc []byte) (store.Account, error) {
	var d accountDoc
	if err := json.Unmarshal(doc, &d); err != nil {
		return store.Account{}, fmt.Errorf("decode account: %w", err)
	}
	a := store.Account{
		Tenant: tenant, UID: uid, Version: version,
		Emails: d.Emails, UnverifiedEmails: d.UnverifiedEmails, Username: d.Username, Phone: d.Phone,
		PasswordHash: d.PasswordHash, PINHash: d.PINHash,
		PINChangedAt: d.PINChangedAt.UTC(), PINSkipped: d.PINSkipped, PINSkippedAt: d.PINSkippedAt.UTC(),
		SecurityAnswers: d.SecurityAnswers, NeedsSecretReset: d.NeedsSecretReset,
		Roles: d.Roles, Active: d.Active, EmailVerified: d.EmailVerified,
		NoOfLogins: d.NoOfLogins, LastLoginAt: d.LastLoginAt.UTC(), LastLoginLocation: d.LastLoginLocation,
		CreatedAt: d.CreatedAt.UTC(), ModifiedAt: d.ModifiedAt.UTC(),
	}
	for _, c := range d.RoleContexts {
		a.RoleContexts = append(a.RoleContexts, store.RoleContext{Context: c.Context, Roles: c.Roles,
			AdditionalPermissions: c.AdditionalPermissions, Expiration: c.Expiration.UTC()})
	}
	if len(d.Profile) > 0 {
		a.Profile = make(map[string]json.RawMessage, len(d.Profile))
		for k, v := range d.Profile {
			a.Profile[k] = json.RawMessage(v)
		}
	}
	return a, nil
}

// Account reads a (version, doc) row of the account tenant/uid.
func Account(sc Scanner, tenant, uid string) (store.Account, error) {
	var version int64
	var doc []byte
	if err := sc.Scan(&version, &doc); err != nil {
		return store.Account{}, err
	}
	return DecodeAccount(tenant, uid, version, doc)
}

// TenantAccount reads a (uid, version, doc) row of an account of tenant.
func TenantAccount(sc Scanner, tenant string) (store.Account, error) {
	var uid string
	var version int64
	var doc []byte
	if err := sc.Scan(&uid, &version, &doc); err != nil {
		return store.Account{}, err
	}
	return DecodeAccount(tenant, uid, version, doc)
}

// Identifiers returns the identifiers to store for a, or a
// *store.DuplicateError when a lists one twice. (Whether another account
// holds one is for the backend to find.)
func Identifiers(a *store.Account) ([]store.Identifier, error) {
	ids := a.Identifiers()
	for i, id := range ids {
		for _, prev := range ids[:i] {
			if prev == id {
				return nil, &store.DuplicateError{Field: string(id.Kind)}
			}
		}
	}
	return ids, nil
}
