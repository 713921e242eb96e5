package sqlstore

import (
	"errors"
	"fmt"
	"slices"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/rows"
)

// Account writes check nothing ahead and then write: each row is inserted
// with ON CONFLICT DO NOTHING, and a row not written is the collision,
// named by its field. On PostgreSQL an insert meeting a concurrent
// transaction's uncommitted row waits for it to end, so of two writers
// taking one name or identifier, in any process, one wins; under SQLite's
// single writer nothing is concurrent. A collision undoes the account's
// writes back to a savepoint, so the transaction stays usable and a
// caller that goes on with it commits none of them.

// Account implements store.Tx with the Dialect's TxAccount statement.
func (t *Tx[T]) Account(tenant, uid string) (store.Account, bool, error) {
	if err := t.c.Check(); err != nil {
		return store.Account{}, false, err
	}
	a, err := rows.Account(t.queryRow(t.d.TxAccount, tenant, uid), tenant, uid)
	a, found, err := rows.Found(a, err, t.d.NoRows)
	if err != nil {
		return store.Account{}, false, t.d.Fault("account", err)
	}
	return a, found, nil
}

// CreateAccount implements store.Tx. A collision names the uid first, then
// the names (in Account.Names order), then the identifiers.
func (t *Tx[T]) CreateAccount(a store.Account) error {
	if err := t.c.Check(); err != nil {
		return err
	}
	ids, err := rows.Identifiers(&a)
	if err != nil {
		return err
	}
	doc, err := rows.EncodeAccount(&a)
	if err != nil {
		return fmt.Errorf("%s: create account: %w", t.d.Name, err)
	}
	err = t.savepoint(func() error {
		// The document goes as text: SQLite would store bytes as a BLOB.
		n, err := t.exec(insertAccount, a.Tenant, a.UID, string(doc))
		if err != nil {
			return err
		}
		if n == 0 {
			return &store.DuplicateError{Field: store.FieldUID}
		}
		if err := t.writeNames(&a, nil); err != nil {
			return err
		}
		return t.insertIdentifiers(&a, ids)
	})
	if err != nil {
		return t.answer("create account", err)
	}
	return nil
}

// SaveAccount implements store.Tx. The version check is part of the
// UPDATE, so of concurrent saves of one version exactly one matches (on
// PostgreSQL the others wait for it and then see the new version; the
// check also guards the identifiers read before it, as any other save of
// the account since changed the version). When the identifiers are
// unchanged (a login counting itself) that UPDATE is all; else the
// identifiers and names are rewritten too, under a savepoint.
func (t *Tx[T]) SaveAccount(a store.Account) (bool, error) {
	if err := t.c.Check(); err != nil {
		return false, err
	}
	ids, err := rows.Identifiers(&a)
	if err != nil {
		// A missing account and a stale version are answered first, as
		// when the identifiers are fine.
		if found, verr := t.checkVersion(&a); !found || verr != nil {
			return found, t.answer("save account", verr)
		}
		return true, err
	}
	doc, err := rows.EncodeAccount(&a)
	if err != nil {
		return false, fmt.Errorf("%s: save account: %w", t.d.Name, err)
	}
	stored, err := collect(t.ctx, t.c, rows.ScanIdentifier, storedIdentifiers, a.Tenant, a.UID)
	if err != nil {
		return false, t.d.Fault("save account", err)
	}
	added, removed := diffIdentifiers(stored, ids)
	// What a token may carry of the account is journaled only when it
	// changes: a login saves its counters, and must not make its own new
	// token's claims look stale.
	old, err := rows.Account(t.queryRow(AccountByUID, a.Tenant, a.UID), a.Tenant, a.UID)
	old, hadOld, err := rows.Found(old, err, t.d.NoRows)
	if err != nil {
		return false, t.d.Fault("save account", err)
	}
	claimsChanged := !hadOld || !store.SameClaims(&old, &a)
	// Unverified emails are names but not identifiers.
	rename := len(added) > 0 || len(removed) > 0 || !sameUnverified(&old, &a)
	found := true
	save := func() error {
		n, err := t.exec(updateAccount, a.Tenant, a.UID, string(doc), a.Version)
		if err != nil {
			return err
		}
		if n == 0 {
			found, err = t.checkVersion(&a)
			if found && err == nil {
				err = store.ErrVersionConflict // changed since the UPDATE looked
			}
			return err
		}
		if !rename {
			return nil
		}
		for _, id := range removed {
			if _, err := t.exec(deleteIdentifier, a.Tenant, string(id.Kind), id.Value); err != nil {
				return err
			}
		}
		if err := t.writeNames(&a, namesOf(a.UID, stored)); err != nil {
			return err
		}
		return t.insertIdentifiers(&a, added)
	}
	if !rename {
		err = save() // one statement: nothing to undo
	} else {
		err = t.savepoint(save)
	}
	switch {
	case err != nil:
		return true, t.answer("save account", err)
	case !found:
		return false, nil
	}
	if claimsChanged {
		if err := t.journal(a.Ref()); err != nil {
			return true, err
		}
	}
	t.c.Announce(store.Invalidation{Account: a.Ref()})
	return true, nil
}

// checkVersion reads the stored version of a's account: found=false when
// there is none, ErrVersionConflict when it is not a.Version.
func (t *Tx[T]) checkVersion(a *store.Account) (bool, error) {
	var version int64
	switch err := t.queryRow(accountVersion, a.Tenant, a.UID).Scan(&version); {
	case errors.Is(err, t.d.NoRows):
		return false, nil
	case err != nil:
		return false, err
	case version != a.Version:
		return true, store.ErrVersionConflict
	}
	return true, nil
}

// insertIdentifiers inserts ids for a; the first one another account
// has yields a *DuplicateError.
func (t *Tx[T]) insertIdentifiers(a *store.Account, ids []store.Identifier) error {
	for _, id := range ids {
		n, err := t.exec(insertIdentifier, a.Tenant, string(id.Kind), id.Value, a.UID)
		if err != nil {
			return err
		}
		if n == 0 {
			return &store.DuplicateError{Field: string(id.Kind)}
		}
	}
	return nil
}

// DeleteAccount implements store.Tx. Outbox events about the account are
// kept: the event reporting the deletion must still be delivered.
func (t *Tx[T]) DeleteAccount(tenant, uid string) (bool, error) {
	n, err := t.change("delete account", deleteAccount, tenant, uid)
	if err != nil {
		return false, err
	}
	for _, q := range t.d.AccountRows {
		if _, err := t.exec(q, tenant, uid); err != nil {
			return false, t.d.Fault("delete account", err)
		}
	}
	if n > 0 {
		if err := t.journal(store.AccountRef{Tenant: tenant, UID: uid}); err != nil {
			return false, err
		}
		t.c.Announce(store.Invalidation{Account: store.AccountRef{Tenant: tenant, UID: uid}})
	}
	return n > 0, nil
}

// diffIdentifiers returns what must be inserted and deleted to turn the
// stored identifiers into ids (ids has no duplicates; see rows.Identifiers).
func diffIdentifiers(stored, ids []store.Identifier) (added, removed []store.Identifier) {
	for _, id := range ids {
		if !slices.Contains(stored, id) {
			added = append(added, id)
		}
	}
	for _, id := range stored {
		if !slices.Contains(ids, id) {
			removed = append(removed, id)
		}
	}
	return added, removed
}
