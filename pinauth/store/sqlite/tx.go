package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/rows"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/sqlstore"
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
	x.Tx = sqlstore.NewTx(&s.dialect, ctx, x)
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

// txn is the store.Tx of one Update call: the shared writes, and the
// ones whose locking is SQLite's own (Lock, ReserveQuota).
type txn struct {
	sqlstore.Tx[int64]
	s    *Store
	ctx  context.Context
	tx   *sql.Tx
	done bool
	// pending are the invalidations to publish after the commit.
	pending []store.Invalidation
}

// Check implements sqlstore.Conn.
func (x *txn) Check() error {
	if x.done {
		return errTxDone
	}
	return x.s.check()
}

// Exec implements sqlstore.Conn.
func (x *txn) Exec(ctx context.Context, query string, args ...any) (int, error) {
	return affected(x.tx.ExecContext(ctx, query, args...))
}

// QueryRow implements sqlstore.Conn, with the prepared statement of query
// when there is one.
func (x *txn) QueryRow(ctx context.Context, query string, args ...any) rows.Scanner {
	if st := x.s.writeStmts[query]; st != nil {
		return x.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return x.tx.QueryRowContext(ctx, query, args...)
}

// Query implements sqlstore.Conn.
func (x *txn) Query(ctx context.Context, read func(rows.Rows) error, query string, args ...any) error {
	rs, err := x.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	return read(rs)
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
