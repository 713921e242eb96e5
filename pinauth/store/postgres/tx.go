package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/rows"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/sqlstore"
)

// errTxDone is returned by a Tx used after its Update returned.
var errTxDone = errors.New("postgres store: transaction used after Update returned")

// maxTxRuns bounds how often Update runs fn when the database aborts the
// transaction for a deadlock or a serialization failure.
const maxTxRuns = 5

// Update implements store.Store: fn runs in one READ COMMITTED transaction,
// again (up to maxTxRuns times in all) when PostgreSQL aborts it with a
// deadlock or serialization failure. The query timeout bounds the whole
// call. A fn error or panic rolls everything back; the error is returned
// unchanged.
func (s *Store) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	if err := s.check(); err != nil {
		return err
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	for run := 1; ; run++ {
		err := s.updateOnce(ctx, fn)
		if run < maxTxRuns && retryable(err) && ctx.Err() == nil {
			continue
		}
		return err
	}
}

func (s *Store) updateOnce(ctx context.Context, fn func(tx store.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return s.fault("begin", err)
	}
	x := &txn{s: s, ctx: ctx, tx: tx}
	x.Tx = sqlstore.NewTx(&s.dialect, ctx, x)
	committed := false
	defer func() {
		x.done = true
		if !committed {
			// Rollback on a broken connection fails; the pool then
			// discards the connection, and the server has rolled back.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.queryTimeout)
			defer cancel()
			tx.Rollback(rctx)
		}
	}()
	if err := fn(x); err != nil {
		return err
	}
	if err := x.s.notify(ctx, tx, x.pending); err != nil {
		return s.fault("announce", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return s.fault("commit", err)
	}
	committed = true
	return nil
}

// inTx runs fn in a transaction of its own, bounded by the query timeout;
// it backs the Store methods that write outside Update.
func (s *Store) inTx(ctx context.Context, op string, fn func(ctx context.Context, tx pgx.Tx) error) error {
	if err := s.check(); err != nil {
		return err
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	var err error
	for run := 1; run <= maxTxRuns; run++ {
		err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return fn(ctx, tx) })
		if !retryable(err) || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		return s.fault(op, err)
	}
	return nil
}

// retryable reports a transaction PostgreSQL aborted so that running it
// again may succeed.
func retryable(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	return pe.Code == "40001" || pe.Code == "40P01" // serialization_failure, deadlock_detected
}

// txn is the store.Tx of one Update call: the shared writes, and the
// ones whose locking is PostgreSQL's own (Lock, ReserveQuota).
type txn struct {
	sqlstore.Tx[time.Time]
	s    *Store
	ctx  context.Context
	tx   pgx.Tx
	done bool
	// pending are the notifications to send with the commit.
	pending []string
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
	tag, err := x.tx.Exec(ctx, query, args...)
	return int(tag.RowsAffected()), err
}

// QueryRow implements sqlstore.Conn.
func (x *txn) QueryRow(ctx context.Context, query string, args ...any) rows.Scanner {
	return x.tx.QueryRow(ctx, query, args...)
}

// Query implements sqlstore.Conn.
func (x *txn) Query(ctx context.Context, read func(rows.Rows) error, query string, args ...any) error {
	rs, err := x.tx.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	return read(rs)
}

var _ store.Tx = (*txn)(nil)
