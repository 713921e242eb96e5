package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// errTxDone is returned by a Tx used after its Update returned.
var errTxDone = errors.New("sqlite store: transaction used after Update returned")

// Update runs fn in one BEGIN IMMEDIATE transaction on the write
// connection. Other writers of this process wait for it, so fn must be
// short and must not call methods of s that write (ReserveAttempt, AddKey,
// RetireKey, SetMeta, SetMetaIfAbsent): they would wait for the connection
// fn holds. A fn error or panic rolls everything back; the error is returned
// unchanged. SQLite reports no serialization conflicts under BEGIN
// IMMEDIATE, so fn runs exactly once.
func (s *Store) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	if err := s.check(); err != nil {
		return err
	}
	sqlTx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return s.fault("begin", err)
	}
	x := &txn{s: s, ctx: ctx, tx: sqlTx}
	committed := false
	defer func() {
		x.done = true
		if !committed {
			sqlTx.Rollback()
		}
	}()
	if err := fn(x); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return s.fault("commit", err)
	}
	committed = true
	s.publish(x.pending...)
	return nil
}

// inTx runs fn in a write transaction of its own; it backs the Store
// methods that write outside Update.
func (s *Store) inTx(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	if err := s.check(); err != nil {
		return err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return s.fault(op, err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return s.fault(op, err)
	}
	if err := tx.Commit(); err != nil {
		return s.fault(op, err)
	}
	return nil
}

// txn is the store.Tx of one Update call.
type txn struct {
	s    *Store
	ctx  context.Context
	tx   *sql.Tx
	done bool
	// pending are the invalidations to publish after the commit.
	pending []store.Invalidation
}

func (x *txn) check() error {
	if x.done {
		return errTxDone
	}
	return x.s.check()
}

func (x *txn) exec(query string, args ...any) (sql.Result, error) {
	return x.tx.ExecContext(x.ctx, query, args...)
}

func (x *txn) queryRow(query string, args ...any) *sql.Row {
	return x.tx.QueryRowContext(x.ctx, query, args...)
}

// savepoint runs fn so that when it fails, everything it wrote is undone
// and the transaction stays usable: SQLite undoes a failed statement, but
// not the statements before it.
func (x *txn) savepoint(fn func() error) error {
	if _, err := x.exec(`SAVEPOINT sp`); err != nil {
		return x.s.fault("savepoint", err)
	}
	if err := fn(); err != nil {
		// ROLLBACK TO keeps the savepoint open; RELEASE ends it.
		for _, q := range []string{`ROLLBACK TO sp`, `RELEASE sp`} {
			if _, rbErr := x.exec(q); rbErr != nil {
				return errors.Join(err, x.s.fault("savepoint", rbErr))
			}
		}
		return err
	}
	if _, err := x.exec(`RELEASE sp`); err != nil {
		return x.s.fault("savepoint", err)
	}
	return nil
}

// affected returns the row count of res, or err.
func affected(res sql.Result, err error) (int, error) {
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

var _ store.Tx = (*txn)(nil)
