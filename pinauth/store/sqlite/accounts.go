package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// accountDoc is the stored JSON form of an account; tenant, uid and version
// live in their own columns. Its field names are the on-disk format: rename
// nothing, only add.
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

func encodeAccount(a *store.Account) (string, error) {
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
	b, err := json.Marshal(&d)
	return string(b), err
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

const (
	selectAccountByUID = `SELECT version, doc FROM accounts WHERE tenant = ? AND uid = ?`
	selectAccountBy    = `SELECT a.uid, a.version, a.doc FROM identifiers i
		JOIN accounts a ON a.tenant = i.tenant AND a.uid = i.uid
		WHERE i.tenant = ? AND i.kind = ? AND i.value = ?`
)

// scanAccount reads one (version, doc) row; found=false on sql.ErrNoRows.
func scanAccount(row *sql.Row, tenant, uid string) (store.Account, bool, error) {
	var version int64
	var doc []byte
	if err := row.Scan(&version, &doc); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return store.Account{}, false, nil
		}
		return store.Account{}, false, err
	}
	a, err := decodeAccount(tenant, uid, version, doc)
	return a, err == nil, err
}

// Account implements store.Reader.
func (s *Store) Account(ctx context.Context, tenant, uid string) (store.Account, bool, error) {
	if err := s.check(); err != nil {
		return store.Account{}, false, err
	}
	a, found, err := scanAccount(s.accountByUID.QueryRowContext(ctx, tenant, uid), tenant, uid)
	if err != nil {
		return store.Account{}, false, s.fault("account", err)
	}
	return a, found, nil
}

// AccountBy implements store.Reader.
func (s *Store) AccountBy(ctx context.Context, tenant string, kind store.IdentifierKind, value string) (store.Account, bool, error) {
	if err := s.check(); err != nil {
		return store.Account{}, false, err
	}
	switch kind {
	case store.IdentEmail, store.IdentUsername, store.IdentPhone:
	default:
		return store.Account{}, false, fmt.Errorf("sqlite store: unknown identifier kind %q", kind)
	}
	var uid string
	var version int64
	var doc []byte
	err := s.accountBy.QueryRowContext(ctx, tenant, string(kind), store.NormalizeIdentifier(kind, value)).
		Scan(&uid, &version, &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Account{}, false, nil
	}
	if err != nil {
		return store.Account{}, false, s.fault("account by identifier", err)
	}
	a, err := decodeAccount(tenant, uid, version, doc)
	if err != nil {
		return store.Account{}, false, s.fault("account by identifier", err)
	}
	return a, true, nil
}

// ListAccounts implements store.Reader. A limit below 1 yields no accounts.
func (s *Store) ListAccounts(ctx context.Context, tenant, after string, limit int) ([]store.Account, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if limit < 1 {
		return nil, nil
	}
	rows, err := s.r.QueryContext(ctx,
		`SELECT uid, version, doc FROM accounts WHERE tenant = ? AND uid > ? ORDER BY uid LIMIT ?`,
		tenant, after, limit)
	if err != nil {
		return nil, s.fault("list accounts", err)
	}
	defer rows.Close()
	var out []store.Account
	for rows.Next() {
		var uid string
		var version int64
		var doc []byte
		if err := rows.Scan(&uid, &version, &doc); err != nil {
			return nil, s.fault("list accounts", err)
		}
		a, err := decodeAccount(tenant, uid, version, doc)
		if err != nil {
			return nil, s.fault("list accounts", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fault("list accounts", err)
	}
	return out, nil
}

// CountAccounts implements store.Reader.
func (s *Store) CountAccounts(ctx context.Context, tenant string) (int, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	var n int
	var err error
	if tenant == "" {
		err = s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&n)
	} else {
		err = s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts WHERE tenant = ?`, tenant).Scan(&n)
	}
	if err != nil {
		return 0, s.fault("count accounts", err)
	}
	return n, nil
}

// Account implements store.Tx.
func (x *txn) Account(tenant, uid string) (store.Account, bool, error) {
	if err := x.check(); err != nil {
		return store.Account{}, false, err
	}
	a, found, err := scanAccount(x.queryRow(selectAccountByUID, tenant, uid), tenant, uid)
	if err != nil {
		return store.Account{}, false, x.s.fault("account", err)
	}
	return a, found, nil
}

// CreateAccount implements store.Tx. Every conflict is checked before the
// first write, so a rejected account leaves nothing behind and the
// transaction stays usable.
func (x *txn) CreateAccount(a store.Account) error {
	if err := x.check(); err != nil {
		return err
	}
	ids, err := x.freeIdentifiers(&a)
	if err != nil {
		return err
	}
	var one int
	switch err := x.queryRow(`SELECT 1 FROM accounts WHERE tenant = ? AND uid = ?`, a.Tenant, a.UID).Scan(&one); {
	case err == nil:
		return &store.DuplicateError{Field: "uid"}
	case !errors.Is(err, sql.ErrNoRows):
		return x.s.fault("create account", err)
	}
	doc, err := encodeAccount(&a)
	if err != nil {
		return fmt.Errorf("sqlite store: create account: %w", err)
	}
	if _, err := x.exec(`INSERT INTO accounts (tenant, uid, version, doc) VALUES (?, ?, 1, ?)`, a.Tenant, a.UID, doc); err != nil {
		return x.s.fault("create account", err)
	}
	return x.insertIdentifiers(&a, ids)
}

// SaveAccount implements store.Tx. Like CreateAccount it checks everything
// before writing, so a rejected save changes nothing.
func (x *txn) SaveAccount(a store.Account) (bool, error) {
	if err := x.check(); err != nil {
		return false, err
	}
	var version int64
	switch err := x.queryRow(`SELECT version FROM accounts WHERE tenant = ? AND uid = ?`, a.Tenant, a.UID).Scan(&version); {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, x.s.fault("save account", err)
	}
	if version != a.Version {
		return true, store.ErrVersionConflict
	}
	ids, err := x.freeIdentifiers(&a)
	if err != nil {
		return true, err
	}
	doc, err := encodeAccount(&a)
	if err != nil {
		return true, fmt.Errorf("sqlite store: save account: %w", err)
	}
	if _, err := x.exec(`UPDATE accounts SET version = version + 1, doc = ? WHERE tenant = ? AND uid = ?`,
		doc, a.Tenant, a.UID); err != nil {
		return true, x.s.fault("save account", err)
	}
	if _, err := x.exec(`DELETE FROM identifiers WHERE tenant = ? AND uid = ?`, a.Tenant, a.UID); err != nil {
		return true, x.s.fault("save account", err)
	}
	if err := x.insertIdentifiers(&a, ids); err != nil {
		return true, err
	}
	x.announce(store.Invalidation{Account: a.Ref()})
	return true, nil
}

// freeIdentifiers returns a's identifiers after checking that none is
// listed twice and none belongs to another account of the tenant. The
// write transaction serializes writers, so the answer holds until commit.
func (x *txn) freeIdentifiers(a *store.Account) ([]store.Identifier, error) {
	ids := a.Identifiers()
	for i, id := range ids {
		for _, prev := range ids[:i] {
			if prev == id {
				return nil, &store.DuplicateError{Field: string(id.Kind)}
			}
		}
		var owner string
		err := x.queryRow(`SELECT uid FROM identifiers WHERE tenant = ? AND kind = ? AND value = ?`,
			a.Tenant, string(id.Kind), id.Value).Scan(&owner)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return nil, x.s.fault("check identifiers", err)
		case owner != a.UID:
			return nil, &store.DuplicateError{Field: string(id.Kind)}
		}
	}
	return ids, nil
}

func (x *txn) insertIdentifiers(a *store.Account, ids []store.Identifier) error {
	for _, id := range ids {
		if _, err := x.exec(`INSERT INTO identifiers (tenant, kind, value, uid) VALUES (?, ?, ?, ?)`,
			a.Tenant, string(id.Kind), id.Value, a.UID); err != nil {
			if isConstraint(err) {
				return &store.DuplicateError{Field: string(id.Kind)}
			}
			return x.s.fault("write identifiers", err)
		}
	}
	return nil
}

// DeleteAccount implements store.Tx. Outbox events about the account are
// kept: the event reporting the deletion must still be delivered.
func (x *txn) DeleteAccount(tenant, uid string) (bool, error) {
	if err := x.check(); err != nil {
		return false, err
	}
	n, err := affected(x.exec(`DELETE FROM accounts WHERE tenant = ? AND uid = ?`, tenant, uid))
	if err != nil {
		return false, x.s.fault("delete account", err)
	}
	for _, q := range []string{
		`DELETE FROM identifiers WHERE tenant = ? AND uid = ?`,
		`DELETE FROM tokens WHERE tenant = ? AND uid = ?`,
		`DELETE FROM sessions WHERE tenant = ? AND uid = ?`,
		`DELETE FROM attempts WHERE tenant = ? AND uid = ?`,
	} {
		if _, err := x.exec(q, tenant, uid); err != nil {
			return false, x.s.fault("delete account", err)
		}
	}
	if n > 0 {
		x.announce(store.Invalidation{Account: store.AccountRef{Tenant: tenant, UID: uid}})
	}
	return n > 0, nil
}
