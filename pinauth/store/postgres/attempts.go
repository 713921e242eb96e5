package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/sqlstore"
)

// lockAccountAttempts serializes every decision about one account's
// attempts (ReserveAttempt, Lock) until the transaction ends, also while
// the account has no attempts row to lock yet. Hash collisions only make
// two accounts wait for each other.
const lockAccountAttempts = `SELECT pg_advisory_xact_lock($1, hashtext($2::text || '/' || $3::text))`

// ReserveAttempt implements store.Store. The account's advisory lock is
// taken before the row is read (each statement of a READ COMMITTED
// transaction sees what was committed before it started), so concurrent
// calls from any number of nodes decide one after the other.
func (s *Store) ReserveAttempt(ctx context.Context, ref store.AccountRef, p store.AttemptPolicy, now time.Time) (store.AttemptResult, error) {
	// Decide at the stored precision, as the SQL comparisons elsewhere do.
	now = toMicro(now)
	var res store.AttemptResult
	err := s.inTx(ctx, "reserve attempt", func(ctx context.Context, tx pgx.Tx) error {
		// One round trip: the statements of a batch still run one after
		// the other.
		b := &pgx.Batch{}
		b.Queue(lockAccountAttempts, lockAttempts, ref.Tenant, ref.UID)
		b.Queue(sqlstore.SelectAttemptsForUpdate, ref.Tenant, ref.UID)
		br := tx.SendBatch(ctx, b)
		if _, err := br.Exec(); err != nil {
			br.Close()
			return err
		}
		old, _, err := lookup(scan.Attempts(br.QueryRow()))
		if err != nil {
			br.Close()
			return err
		}
		if err := br.Close(); err != nil {
			return err
		}
		res = store.DecideAttempt(old, p, now)
		if res.State == old {
			return nil
		}
		st := res.State
		_, err = tx.Exec(ctx, sqlstore.UpsertAttempts, ref.Tenant, ref.UID,
			st.Failures, nullAt(st.WindowStart), string(st.LockType), nullAt(st.LockedUntil))
		return err
	})
	if err != nil {
		return store.AttemptResult{}, err
	}
	return res, nil
}

// LockAttempts implements sqlstore.Conn with the account's advisory
// lock, which ReserveAttempt takes too.
func (x *txn) LockAttempts(ref store.AccountRef) error {
	_, err := x.Exec(x.ctx, lockAccountAttempts, lockAttempts, ref.Tenant, ref.UID)
	return err
}

// PruneAttempts implements store.Store. A concurrent ReserveAttempt holds
// the row (FOR UPDATE) until it commits; the delete then re-checks the
// row it waited for and keeps one that counts again.
func (s *Store) PruneAttempts(ctx context.Context, windowsBefore, now time.Time, limit int) (int, error) {
	if limit < 1 {
		return 0, nil
	}
	var n int
	err := s.inTx(ctx, "prune attempts", func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, sqlstore.PruneAttempts, now, windowsBefore, limit)
		n = int(tag.RowsAffected())
		return err
	})
	return n, err
}
