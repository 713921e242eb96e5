package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/rows"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/sqlstore"
)

// ClaimEvents implements store.Store. The claim is one UPDATE under the
// write lock, which serializes it with every other claimer (of this
// process through the single write connection, of other processes through
// BEGIN IMMEDIATE).
func (s *Store) ClaimEvents(ctx context.Context, c store.EventClaim) ([]store.Event, error) {
	return sqlstore.ClaimEvents(ctx, &s.lookups, c, func(cl sqlstore.Claim) ([]rows.Claimed, error) {
		var got []rows.Claimed
		err := s.inTx(ctx, "claim events", func(tx *sql.Tx) error {
			rs, err := tx.QueryContext(ctx, `UPDATE events SET claimed_by = `+cl.Owner+`, claimed_until = `+cl.Until+`,
				attempts = attempts + 1 WHERE seq IN (`+cl.Select+`) RETURNING seq, `+rows.EventColumns, cl.Args...)
			if err != nil {
				return err
			}
			defer rs.Close()
			got, err = rows.Collect(rs, scan.ClaimedEvent)
			return err
		})
		return got, err
	})
}

// CompleteEvent implements store.Store.
func (s *Store) CompleteEvent(ctx context.Context, id string, now time.Time) (bool, error) {
	return s.changeEvent(ctx, "complete event", sqlstore.CompleteEvent, micro(now), id)
}

// FailEvent implements store.Store.
func (s *Store) FailEvent(ctx context.Context, id, owner string, f store.EventFailure) (bool, error) {
	if f.Dead {
		return s.changeEvent(ctx, "fail event", sqlstore.KillEvent, micro(f.Now), f.Error, id, owner, f.Attempt)
	}
	return s.changeEvent(ctx, "fail event", sqlstore.RetryEvent, nullMicro(f.RetryAt), f.Error, id, owner, f.Attempt)
}

// ReplayEvent implements store.Store.
func (s *Store) ReplayEvent(ctx context.Context, id string, now time.Time) (bool, error) {
	return s.changeEvent(ctx, "replay event", sqlstore.ReplayEvent, micro(now), id)
}

// PruneEvents implements store.Store.
func (s *Store) PruneEvents(ctx context.Context, before time.Time, limit int) (int, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	if limit < 1 {
		return 0, nil
	}
	var n int
	err := s.inTx(ctx, "prune events", func(tx *sql.Tx) error {
		var err error
		n, err = affected(tx.ExecContext(ctx, sqlstore.PruneEvents, micro(before), limit))
		return err
	})
	return n, err
}

// changeEvent runs one UPDATE of a single event and reports whether it
// matched.
func (s *Store) changeEvent(ctx context.Context, op, query string, args ...any) (bool, error) {
	var n int
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		var err error
		n, err = affected(tx.ExecContext(ctx, query, args...))
		return err
	})
	return n > 0, err
}
