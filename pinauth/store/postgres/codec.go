package postgres

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// accountDoc is the stored JSON form of an account; tenant, uid and version
// live in their own columns. Its field names are the on-disk format: rename
// nothing, only add. (It matches the SQLite backend's document, so a
// migration tool can copy documents between the two.)
type accountDoc struct {
	Emails            []store.Email     `json:"emails,omitempty"`
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

func encodeAccount(a *store.Account) ([]byte, error) {
	d := accountDoc{
		Emails: a.Emails, Username: a.Username, Phone: a.Phone,
		PasswordHash: a.PasswordHash, PINHash: a.PINHash,
		PINChangedAt: a.PINChangedAt.UTC(), PINSkipped: a.PINSkipped, PINSkippedAt: a.PINSkippedAt.UTC(),
		SecurityAnswers: a.SecurityAnswers, NeedsSecretReset: a.NeedsSecretReset,
		Roles: a.Roles, Active: a.Active, EmailVerified: a.EmailVerified,
		NoOfLogins: a.NoOfLogins, LastLoginAt: a.LastLoginAt.UTC(), LastLoginLocation: a.LastLoginLocation,
		CreatedAt: a.CreatedAt.UTC(), ModifiedAt: a.ModifiedAt.UTC(),
	}
	if len(a.Profile) > 0 {
		d.Profile = make(map[string]string, len(a.Profile))
		for k, v := range a.Profile {
			d.Profile[k] = string(v)
		}
	}
	return json.Marshal(&d)
}

func decodeAccount(tenant, uid string, version int64, doc []byte) (store.Account, error) {
	var d accountDoc
	if err := json.Unmarshal(doc, &d); err != nil {
		return store.Account{}, fmt.Errorf("decode account: %w", err)
	}
	a := store.Account{
		Tenant: tenant, UID: uid, Version: version,
		Emails: d.Emails, Username: d.Username, Phone: d.Phone,
		PasswordHash: d.PasswordHash, PINHash: d.PINHash,
		PINChangedAt: d.PINChangedAt.UTC(), PINSkipped: d.PINSkipped, PINSkippedAt: d.PINSkippedAt.UTC(),
		SecurityAnswers: d.SecurityAnswers, NeedsSecretReset: d.NeedsSecretReset,
		Roles: d.Roles, Active: d.Active, EmailVerified: d.EmailVerified,
		NoOfLogins: d.NoOfLogins, LastLoginAt: d.LastLoginAt.UTC(), LastLoginLocation: d.LastLoginLocation,
		CreatedAt: d.CreatedAt.UTC(), ModifiedAt: d.ModifiedAt.UTC(),
	}
	if len(d.Profile) > 0 {
		a.Profile = make(map[string]json.RawMessage, len(d.Profile))
		for k, v := range d.Profile {
			a.Profile[k] = json.RawMessage(v)
		}
	}
	return a, nil
}

// Times are stored as timestamptz (microseconds). Optional times are NULL
// while zero; non-optional ones store the zero time as year 1, which comes
// back as the zero time.

// at converts a time for a timestamptz column.
func at(t time.Time) time.Time { return t.UTC() }

// nullAt converts an optional time: NULL while zero.
func nullAt(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// fromNull reads an optional time scanned into a *time.Time.
func fromNull(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// toMicro truncates t to the stored precision, so decisions made in Go
// match the comparisons made in SQL.
func toMicro(t time.Time) time.Time { return time.UnixMicro(t.UnixMicro()).UTC() }

// encodeStrings stores a small string map as JSON text, NULL when empty.
func encodeStrings(m map[string]string) (any, error) {
	if len(m) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

func decodeStrings(v *string) (map[string]string, error) {
	if v == nil || *v == "" {
		return nil, nil
	}
	var m map[string]string
	err := json.Unmarshal([]byte(*v), &m)
	return m, err
}
