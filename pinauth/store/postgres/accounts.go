package postgres

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/rows"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/sqlstore"
)

// Account implements store.Tx. It locks the account's row until the
// transaction ends: reading an account in a transaction is nearly always
// the start of a read-modify-write (a login counting itself), and
// concurrent ones then queue instead of failing their version check, as
// they would queue on SQLite's single writer.
func (x *txn) Account(tenant, uid string) (store.Account, bool, error) {
	if err := x.Check(); err != nil {
		return store.Account{}, false, err
	}
	a, found, err := lookup(rows.Account(x.QueryRow(x.ctx, sqlstore.AccountByUIDForUpdate, tenant, uid), tenant, uid))
	if err != nil {
		return store.Account{}, false, x.s.fault("account", err)
	}
	return a, found, nil
}

// CreateAccount implements store.Tx. The rows are inserted under a
// savepoint, each with ON CONFLICT DO NOTHING, so that a collision (also
// with a concurrent transaction, whose commit the insert waits for) names
// its field and is rolled back alone: the transaction stays usable.
func (x *txn) CreateAccount(a store.Account) error {
	if err := x.Check(); err != nil {
		return err
	}
	ids, err := rows.Identifiers(&a)
	if err != nil {
		return err
	}
	doc, err := rows.EncodeAccount(&a)
	if err != nil {
		return fmt.Errorf("postgres store: create account: %w", err)
	}
	var dup *store.DuplicateError
	err = x.savepoint(func(tx pgx.Tx) error {
		tag, err := tx.Exec(x.ctx, `INSERT INTO accounts (tenant, uid, version, doc) VALUES ($1, $2, 1, $3)
			ON CONFLICT DO NOTHING`, a.Tenant, a.UID, doc)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			dup = &store.DuplicateError{Field: store.FieldUID}
			return dup
		}
		// Names first: they name the field that collides the way the
		// SQLite backend does.
		if dup, err = x.writeNames(tx, &a, nil); dup == nil && err == nil {
			dup, err = x.insertIdentifiers(tx, &a, ids)
		}
		if dup != nil {
			return dup
		}
		return err
	})
	if dup != nil {
		return dup
	}
	if err != nil {
		return x.s.fault("create account", err)
	}
	return nil
}

// SaveAccount implements store.Tx. The version check is part of the
// UPDATE, so of concurrent saves of one version exactly one matches (the
// others wait for it and then see the new version). When the identifiers
// are unchanged (a login saving its counters) that UPDATE is all; else the
// identifiers are rewritten too, under a savepoint as in CreateAccount.
func (x *txn) SaveAccount(a store.Account) (bool, error) {
	if err := x.Check(); err != nil {
		return false, err
	}
	ids, err := rows.Identifiers(&a)
	if err != nil {
		// A missing account and a stale version are answered first, as
		// when the identifiers are fine.
		switch found, verr := x.checkVersion(x.tx, &a); {
		case errors.Is(verr, store.ErrVersionConflict):
			return true, verr
		case verr != nil:
			return false, x.s.fault("save account", verr)
		case !found:
			return false, nil
		}
		return true, err
	}
	doc, err := rows.EncodeAccount(&a)
	if err != nil {
		return false, fmt.Errorf("postgres store: save account: %w", err)
	}
	stored, err := x.storedIdentifiers(a.Ref())
	if err != nil {
		return false, x.s.fault("save account", err)
	}
	added, removed := diffIdentifiers(stored, ids)
	had := map[string]bool{store.NameOf(a.UID): true}
	for id := range stored {
		had[store.NameOf(id.Value)] = true
	}
	found := true
	var dup *store.DuplicateError
	save := func(tx pgx.Tx) error {
		tag, err := tx.Exec(x.ctx, `UPDATE accounts SET version = version + 1, doc = $3
			WHERE tenant = $1 AND uid = $2 AND version = $4`, a.Tenant, a.UID, doc, a.Version)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			found, err = x.checkVersion(tx, &a)
			if found && err == nil {
				err = store.ErrVersionConflict // changed since the UPDATE looked
			}
			return err
		}
		for _, id := range removed {
			if _, err := tx.Exec(x.ctx, `DELETE FROM identifiers WHERE tenant = $1 AND kind = $2 AND value = $3`,
				a.Tenant, string(id.Kind), id.Value); err != nil {
				return err
			}
		}
		// Names first: they name the field that collides the way the
		// SQLite backend does.
		if dup, err = x.writeNames(tx, &a, had); dup == nil && err == nil {
			dup, err = x.insertIdentifiers(tx, &a, added)
		}
		if dup != nil {
			return dup
		}
		return err
	}
	if len(added) == 0 && len(removed) == 0 {
		// Nothing can collide: no savepoint needed. (The version check
		// guards the identifiers read above: any other save of the
		// account since then changed the version.)
		err = save(x.tx)
	} else {
		err = x.savepoint(save)
	}
	switch {
	case dup != nil:
		return true, dup
	case errors.Is(err, store.ErrVersionConflict):
		return true, err
	case err != nil:
		return true, x.s.fault("save account", err)
	case !found:
		return false, nil
	}
	x.Announce(store.Invalidation{Account: a.Ref()})
	return true, nil
}

// checkVersion reads the stored version of a's account: found=false when
// there is none, ErrVersionConflict when it is not a.Version.
func (x *txn) checkVersion(tx pgx.Tx, a *store.Account) (bool, error) {
	var version int64
	switch err := tx.QueryRow(x.ctx, `SELECT version FROM accounts WHERE tenant = $1 AND uid = $2`,
		a.Tenant, a.UID).Scan(&version); {
	case noRows(err):
		return false, nil
	case err != nil:
		return false, err
	case version != a.Version:
		return true, store.ErrVersionConflict
	}
	return true, nil
}

// insertIdentifiers inserts ids for a; the first one another account
// holds yields a *DuplicateError (and the caller rolls back).
func (x *txn) insertIdentifiers(tx pgx.Tx, a *store.Account, ids []store.Identifier) (*store.DuplicateError, error) {
	for _, id := range ids {
		tag, err := tx.Exec(x.ctx, `INSERT INTO identifiers (tenant, kind, value, uid) VALUES ($1, $2, $3, $4)
			ON CONFLICT DO NOTHING`, a.Tenant, string(id.Kind), id.Value, a.UID)
		if err != nil {
			return nil, err
		}
		if tag.RowsAffected() == 0 {
			return &store.DuplicateError{Field: string(id.Kind)}, nil
		}
	}
	return nil, nil
}

// storedIdentifiers returns the identifiers stored for an account.
func (x *txn) storedIdentifiers(ref store.AccountRef) (map[store.Identifier]bool, error) {
	rs, err := x.tx.Query(x.ctx, `SELECT kind, value FROM identifiers WHERE tenant = $1 AND uid = $2`, ref.Tenant, ref.UID)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	stored := map[store.Identifier]bool{}
	for rs.Next() {
		var kind, value string
		if err := rs.Scan(&kind, &value); err != nil {
			return nil, err
		}
		stored[store.Identifier{Kind: store.IdentifierKind(kind), Value: value}] = true
	}
	return stored, rs.Err()
}

// diffIdentifiers returns what must be inserted and deleted to turn the
// stored identifiers into ids.
func diffIdentifiers(stored map[store.Identifier]bool, ids []store.Identifier) (added, removed []store.Identifier) {
	keep := map[store.Identifier]bool{}
	for _, id := range ids {
		if stored[id] {
			keep[id] = true
		} else {
			added = append(added, id)
		}
	}
	for id := range stored {
		if !keep[id] {
			removed = append(removed, id)
		}
	}
	return added, removed
}

// DeleteAccount implements store.Tx. Outbox events about the account are
// kept: the event reporting the deletion must still be delivered.
func (x *txn) DeleteAccount(tenant, uid string) (bool, error) {
	if err := x.Check(); err != nil {
		return false, err
	}
	// The identifiers go with the account (ON DELETE CASCADE).
	n, err := x.Exec(x.ctx, `DELETE FROM accounts WHERE tenant = $1 AND uid = $2`, tenant, uid)
	if err != nil {
		return false, x.s.fault("delete account", err)
	}
	for _, q := range []string{
		`DELETE FROM tokens WHERE tenant = $1 AND uid = $2`,
		`DELETE FROM sessions WHERE tenant = $1 AND uid = $2`,
		`DELETE FROM attempts WHERE tenant = $1 AND uid = $2`,
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
