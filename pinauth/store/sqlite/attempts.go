package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/sqlstore"
)

// ReserveAttempt implements store.Store. The read and the write happen in
// one BEGIN IMMEDIATE transaction, which holds the database's write lock
// from its first statement, so no other writer of any process can
// interleave.
func (s *Store) ReserveAttempt(ctx context.Context, ref store.AccountRef, p store.AttemptPolicy, now time.Time) (store.AttemptResult, error) {
	// Decide at the stored precision, as the SQL comparisons elsewhere do.
	now = fromMicro(micro(now))
	var res store.AttemptResult
	err := s.inTx(ctx, "reserve attempt", func(tx *sql.Tx) error {
		row := tx.StmtContext(ctx, s.writeStmts[sqlstore.SelectAttempts]).QueryRowContext(ctx, ref.Tenant, ref.UID)
		old, _, err := lookup(scan.Attempts(row))
		if err != nil {
			return err
		}
		res = store.DecideAttempt(old, p, now)
		if res.State == old {
			return nil
		}
		st := res.State
		_, err = tx.StmtContext(ctx, s.writeStmts[sqlstore.UpsertAttempts]).ExecContext(ctx, ref.Tenant, ref.UID,
			st.Failures, nullMicro(st.WindowStart), string(st.LockType), nullMicro(st.LockedUntil))
		return err
	})
	if err != nil {
		return store.AttemptResult{}, err
	}
	return res, nil
}

// LockAttempts implements sqlstore.Conn: the transaction holds the
// write lock, so no attempt decision can interleave.
func (x *txn) LockAttempts(store.AccountRef) error { return nil }

// PruneAttempts implements store.Store.
func (s *Store) PruneAttempts(ctx context.Context, windowsBefore, now time.Time, limit int) (int, error) {
	if limit < 1 {
		return 0, nil
	}
	var n int
	err := s.inTx(ctx, "prune attempts", func(tx *sql.Tx) error {
		var err error
		n, err = affected(tx.ExecContext(ctx, sqlstore.PruneAttempts, micro(now), micro(windowsBefore), limit))
		return err
	})
	return n, err
}
