package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/rows"
)

const (
	selectAttempts = `SELECT ` + rows.AttemptsColumns + ` FROM attempts WHERE tenant = ? AND uid = ?`
	upsertAttempts = `INSERT INTO attempts (tenant, uid, failures, window_start, lock_type, locked_until)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant, uid) DO UPDATE SET failures = excluded.failures,
			window_start = excluded.window_start, lock_type = excluded.lock_type,
			locked_until = excluded.locked_until`
	// notLocked is true for a row without a lock in force at the bound time.
	notLocked = `(lock_type = '' OR locked_until IS NULL OR locked_until <= ?)`
)

// scanAttempts reads an attempts row; found=false when there is none.
func scanAttempts(row *sql.Row) (store.Attempts, bool, error) {
	return lookup(scan.Attempts(row))
}

// Attempts implements store.Reader.
func (s *Store) Attempts(ctx context.Context, ref store.AccountRef) (store.Attempts, bool, error) {
	if err := s.check(); err != nil {
		return store.Attempts{}, false, err
	}
	a, found, err := scanAttempts(s.r.QueryRowContext(ctx, selectAttempts, ref.Tenant, ref.UID))
	if err != nil {
		return store.Attempts{}, false, s.fault("attempts", err)
	}
	return a, found, nil
}

// ReserveAttempt implements store.Store. The read and the write happen in
// one BEGIN IMMEDIATE transaction, which holds the database's write lock
// from its first statement, so no other writer of any process can
// interleave.
func (s *Store) ReserveAttempt(ctx context.Context, ref store.AccountRef, p store.AttemptPolicy, now time.Time) (store.AttemptResult, error) {
	// Decide at the stored precision, as the SQL comparisons elsewhere do.
	now = fromMicro(micro(now))
	var res store.AttemptResult
	err := s.inTx(ctx, "reserve attempt", func(tx *sql.Tx) error {
		old, _, err := scanAttempts(tx.StmtContext(ctx, s.attemptsRow).QueryRowContext(ctx, ref.Tenant, ref.UID))
		if err != nil {
			return err
		}
		res = store.DecideAttempt(old, p, now)
		if res.State == old {
			return nil
		}
		st := res.State
		_, err = tx.StmtContext(ctx, s.upsertAttempt).ExecContext(ctx, ref.Tenant, ref.UID,
			st.Failures, nullMicro(st.WindowStart), string(st.LockType), nullMicro(st.LockedUntil))
		return err
	})
	if err != nil {
		return store.AttemptResult{}, err
	}
	return res, nil
}

// Lock implements store.Tx as one statement, so that of concurrent callers
// exactly one sees its row change.
func (x *txn) Lock(ref store.AccountRef, limit int, lockType store.LockType, until, now time.Time) (bool, error) {
	if err := x.check(); err != nil {
		return false, err
	}
	if lockType == store.LockNone {
		return false, errors.New("sqlite store: lock: no lock type given")
	}
	var n int
	var err error
	if limit == 0 {
		n, err = affected(x.exec(`INSERT INTO attempts (tenant, uid, failures, window_start, lock_type, locked_until)
			VALUES (?, ?, 0, NULL, ?, ?)
			ON CONFLICT (tenant, uid) DO UPDATE SET lock_type = excluded.lock_type, locked_until = excluded.locked_until
			WHERE `+notLocked,
			ref.Tenant, ref.UID, string(lockType), nullMicro(until), micro(now)))
	} else {
		n, err = affected(x.exec(`UPDATE attempts SET lock_type = ?, locked_until = ?
			WHERE tenant = ? AND uid = ? AND failures >= ? AND `+notLocked,
			string(lockType), nullMicro(until), ref.Tenant, ref.UID, limit, micro(now)))
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
	if _, err := x.exec(`DELETE FROM attempts WHERE tenant = ? AND uid = ?`, ref.Tenant, ref.UID); err != nil {
		return x.s.fault("clear attempts", err)
	}
	return nil
}

// PruneAttempts implements store.Store.
func (s *Store) PruneAttempts(ctx context.Context, windowsBefore, now time.Time, limit int) (int, error) {
	if limit < 1 {
		return 0, nil
	}
	var n int
	err := s.inTx(ctx, "prune attempts", func(tx *sql.Tx) error {
		var err error
		n, err = affected(tx.ExecContext(ctx, `DELETE FROM attempts WHERE (tenant, uid) IN (
			SELECT tenant, uid FROM attempts
			WHERE `+notLocked+` AND (failures = 0 OR window_start IS NULL OR window_start < ?)
			LIMIT ?)`, micro(now), micro(windowsBefore), limit))
		return err
	})
	return n, err
}
