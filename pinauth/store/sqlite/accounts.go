package sqlite

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/rows"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/sqlstore"
)

// Account implements store.Tx.
func (x *txn) Account(tenant, uid string) (store.Account, bool, error) {
	if err := x.Check(); err != nil {
		return store.Account{}, false, err
	}
	a, found, err := lookup(rows.Account(x.QueryRow(x.ctx, sqlstore.AccountByUID, tenant, uid), tenant, uid))
	if err != nil {
		return store.Account{}, false, x.s.fault("account", err)
	}
	return a, found, nil
}

// CreateAccount implements store.Tx. Every conflict is checked before the
// first write, so a rejected account leaves nothing behind and the
// transaction stays usable.
func (x *txn) CreateAccount(a store.Account) error {
	if err := x.Check(); err != nil {
		return err
	}
	ids, err := rows.Identifiers(&a)
	if err != nil {
		return err
	}
	var one int
	switch err := x.QueryRow(x.ctx, `SELECT 1 FROM accounts WHERE tenant = ? AND uid = ?`, a.Tenant, a.UID).Scan(&one); {
	case err == nil:
		return &store.DuplicateError{Field: store.FieldUID}
	case !errors.Is(err, sql.ErrNoRows):
		return x.s.fault("create account", err)
	}
	claims, err := x.claimableNames(&a, nil)
	if err != nil {
		return err
	}
	doc, err := encodeAccount(&a)
	if err != nil {
		return fmt.Errorf("sqlite store: create account: %w", err)
	}
	if _, err := x.Exec(x.ctx, `INSERT INTO accounts (tenant, uid, version, doc) VALUES (?, ?, 1, ?)`, a.Tenant, a.UID, doc); err != nil {
		return x.s.fault("create account", err)
	}
	if err := x.insertIdentifiers(&a, ids); err != nil {
		return err
	}
	return x.writeNames(&a, claims)
}

// SaveAccount implements store.Tx. Like CreateAccount it checks everything
// before writing, so a rejected save changes nothing. A save that keeps
// the identifiers (a login counting itself) writes the document alone.
func (x *txn) SaveAccount(a store.Account) (bool, error) {
	if err := x.Check(); err != nil {
		return false, err
	}
	var version int64
	switch err := x.QueryRow(x.ctx, `SELECT version FROM accounts WHERE tenant = ? AND uid = ?`, a.Tenant, a.UID).Scan(&version); {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, x.s.fault("save account", err)
	}
	if version != a.Version {
		return true, store.ErrVersionConflict
	}
	ids, err := rows.Identifiers(&a)
	if err != nil {
		return true, err
	}
	stored, err := x.storedIdentifiers(a.Ref())
	if err != nil {
		return true, x.s.fault("save account", err)
	}
	same := rows.SameIdentifiers(stored, ids)
	var claims []store.Name
	if !same {
		if claims, err = x.claimableNames(&a, rows.NamesOf(a.UID, stored)); err != nil {
			return true, err
		}
	}
	doc, err := encodeAccount(&a)
	if err != nil {
		return true, fmt.Errorf("sqlite store: save account: %w", err)
	}
	if same {
		// One statement: nothing to undo if it fails.
		if _, err := x.Exec(x.ctx, `UPDATE accounts SET version = version + 1, doc = ? WHERE tenant = ? AND uid = ?`,
			doc, a.Tenant, a.UID); err != nil {
			return true, x.s.fault("save account", err)
		}
		x.Announce(store.Invalidation{Account: a.Ref()})
		return true, nil
	}
	// An identifier can still collide where the checks above let the
	// name pass (one the account shares with another from before names
	// were unique, which that account has under the same kind): the
	// savepoint undoes the document and identifiers written before it,
	// so that a caller going on with the transaction commits none of it.
	err = x.savepoint(func() error {
		if _, err := x.Exec(x.ctx, `UPDATE accounts SET version = version + 1, doc = ? WHERE tenant = ? AND uid = ?`,
			doc, a.Tenant, a.UID); err != nil {
			return x.s.fault("save account", err)
		}
		if _, err := x.Exec(x.ctx, `DELETE FROM identifiers WHERE tenant = ? AND uid = ?`, a.Tenant, a.UID); err != nil {
			return x.s.fault("save account", err)
		}
		if err := x.insertIdentifiers(&a, ids); err != nil {
			return err
		}
		return x.writeNames(&a, claims)
	})
	if err != nil {
		return true, err
	}
	x.Announce(store.Invalidation{Account: a.Ref()})
	return true, nil
}

// storedIdentifiers returns the identifiers stored for an account.
func (x *txn) storedIdentifiers(ref store.AccountRef) ([]store.Identifier, error) {
	rs, err := x.tx.QueryContext(x.ctx, `SELECT kind, value FROM identifiers WHERE tenant = ? AND uid = ?`, ref.Tenant, ref.UID)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	return rows.Collect(rs, rows.ScanIdentifier)
}

func (x *txn) insertIdentifiers(a *store.Account, ids []store.Identifier) error {
	for _, id := range ids {
		if _, err := x.Exec(x.ctx, `INSERT INTO identifiers (tenant, kind, value, uid) VALUES (?, ?, ?, ?)`,
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
	if err := x.Check(); err != nil {
		return false, err
	}
	n, err := x.Exec(x.ctx, `DELETE FROM accounts WHERE tenant = ? AND uid = ?`, tenant, uid)
	if err != nil {
		return false, x.s.fault("delete account", err)
	}
	for _, q := range []string{
		`DELETE FROM identifiers WHERE tenant = ? AND uid = ?`,
		`DELETE FROM names WHERE tenant = ? AND uid = ?`,
		`DELETE FROM name_conflicts WHERE tenant = ? AND uid = ?`,
		`DELETE FROM tokens WHERE tenant = ? AND uid = ?`,
		`DELETE FROM sessions WHERE tenant = ? AND uid = ?`,
		`DELETE FROM attempts WHERE tenant = ? AND uid = ?`,
	} {
		if _, err := x.Exec(x.ctx, q, tenant, uid); err != nil {
			return false, x.s.fault("delete account", err)
		}
	}
	if n > 0 {
		x.Announce(store.Invalidation{Account: store.AccountRef{Tenant: tenant, UID: uid}})
	}
	return n > 0, nil
}
