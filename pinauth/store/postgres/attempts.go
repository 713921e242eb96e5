package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/rows"
)

const (
	selectAttempts = `SELECT ` + rows.AttemptsColumns + ` FROM attempts WHERE tenant = $1 AND uid = $2`
	// lockAccountAttempts serializes every decision about one account's
	// attempts (ReserveAttempt, Lock) until the transaction ends, also
	// while the account has no attempts row to lock yet. Hash collisions
	// only make two accounts wait for each other.
	lockAccountAttempts = `SELECT pg_advisory_xact_lock($1, hashtext($2::text || '/' || $3::text))`
	upsertAttempts      = `INSERT INTO attempts (tenant, uid, failures, window_start, lock_type, locked_until)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (tenant, uid) DO UPDATE SET failures = excluded.failures,
			window_start = excluded.window_start, lock_type = excluded.lock_type,
			locked_until = excluded.locked_until`
)

// scanAttempts reads an attempts row; found=false when there is none.
func scanAttempts(row pgx.Row) (store.Attempts, bool, error) {
	return lookup(scan.Attempts(row))
}

// Attempts implements store.Reader.
func (s *Store) Attempts(ctx context.Context, ref store.AccountRef) (store.Attempts, bool, error) {
	if err := s.check(); err != nil {
		return store.Attempts{}, false, err
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	a, found, err := scanAttempts(s.pool.QueryRow(ctx, selectAttempts, ref.Tenant, ref.UID))
	if err != nil {
		return store.Attempts{}, false, s.fault("attempts", err)
	}
	return a, found, nil
}

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
		b.Queue(selectAttempts+` FOR UPDATE`, ref.Tenant, ref.UID)
		br := tx.SendBatch(ctx, b)
		if _, err := br.Exec(); err != nil {
			br.Close()
			return err
		}
		old, _, err := scanAttempts(br.QueryRow())
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
		_, err = tx.Exec(ctx, upsertAttempts, ref.Tenant, ref.UID,
			st.Failures, nullAt(st.WindowStart), string(st.LockType), nullAt(st.LockedUntil))
		return err
	})
	if err != nil {
		return store.AttemptResult{}, err
	}
	return res, nil
}

// Lock implements store.Tx. It takes the account's advisory lock, like
// ReserveAttempt, so that a count decided there is never written over a
// lock set here; the conditional statement then makes exactly one of
// concurrent callers see its row change.
func (x *txn) Lock(ref store.AccountRef, limit int, lockType store.LockType, until, now time.Time) (bool, error) {
	if err := x.check(); err != nil {
		return false, err
	}
	if lockType == store.LockNone {
		return false, errors.New("postgres store: lock: no lock type given")
	}
	if _, err := x.exec(lockAccountAttempts, lockAttempts, ref.Tenant, ref.UID); err != nil {
		return false, x.s.fault("lock", err)
	}
	var n int
	var err error
	if limit == 0 {
		n, err = x.exec(`INSERT INTO attempts (tenant, uid, failures, window_start, lock_type, locked_until)
			VALUES ($1, $2, 0, NULL, $3, $4)
			ON CONFLICT (tenant, uid) DO UPDATE SET lock_type = excluded.lock_type, locked_until = excluded.locked_until
			WHERE attempts.lock_type = '' OR attempts.locked_until IS NULL OR attempts.locked_until <= $5`,
			ref.Tenant, ref.UID, string(lockType), nullAt(until), at(now))
	} else {
		n, err = x.exec(`UPDATE attempts SET lock_type = $1, locked_until = $2
			WHERE tenant = $3 AND uid = $4 AND failures >= $5
			AND (lock_type = '' OR locked_until IS NULL OR locked_until <= $6)`,
			string(lockType), nullAt(until), ref.Tenant, ref.UID, limit, at(now))
	}
	if err != nil {
		return false, x.s.fault("lock", err)
	}
	return n > 0, nil
}

// ClearAttempts implements store.Tx.
func (x *txn) ClearAttempts(ref store.AccountRef) error {
	if err := x.check(); err != nil {
		return err
	}
	if _, err := x.exec(`DELETE FROM attempts WHERE tenant = $1 AND uid = $2`, ref.Tenant, ref.UID); err != nil {
		return x.s.fault("clear attempts", err)
	}
	return nil
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
		tag, err := tx.Exec(ctx, `DELETE FROM attempts WHERE (tenant, uid) IN (
			SELECT tenant, uid FROM attempts
			WHERE (lock_type = '' OR locked_until IS NULL OR locked_until <= $1)
				AND (failures = 0 OR window_start IS NULL OR window_start < $2)
			LIMIT $3)
			AND (lock_type = '' OR locked_until IS NULL OR locked_until <= $1)
			AND (failures = 0 OR window_start IS NULL OR window_start < $2)`, now, windowsBefore, limit)
		n = int(tag.RowsAffected())
		return err
	})
	return n, err
}
