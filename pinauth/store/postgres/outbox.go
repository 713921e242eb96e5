package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/rows"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/sqlstore"
)

// ClaimEvents implements store.Store. The claim is one statement that
// locks the rows it takes with FOR UPDATE SKIP LOCKED: concurrent
// claimers of every node skip each other's rows instead of waiting, and a
// row another claim changed and committed meanwhile is checked again
// against its new version (PostgreSQL re-evaluates the WHERE clause of a
// locking read on the latest row), so a leased event is never handed out
// twice. The next event of an account stays blocked while the one before
// it is pending, locked or not.
func (s *Store) ClaimEvents(ctx context.Context, c store.EventClaim) ([]store.Event, error) {
	return sqlstore.ClaimEvents(ctx, &s.lookups, c, func(cl sqlstore.Claim) ([]rows.Claimed, error) {
		var got []rows.Claimed
		err := s.inTx(ctx, "claim events", func(ctx context.Context, tx pgx.Tx) error {
			rs, err := tx.Query(ctx, `WITH claimable AS (`+cl.Select+` FOR UPDATE OF e SKIP LOCKED)
				UPDATE events SET claimed_by = `+cl.Owner+`, claimed_until = `+cl.Until+`, attempts = attempts + 1
				FROM claimable WHERE events.seq = claimable.seq
				RETURNING events.seq, `+rows.EventColumns, cl.Args...)
			if err != nil {
				return err
			}
			defer rs.Close()
			// A retried transaction starts over: got is replaced, not
			// added to.
			got, err = rows.Collect(rs, scan.ClaimedEvent)
			return err
		})
		return got, err
	})
}

// CompleteEvent implements store.Store.
func (s *Store) CompleteEvent(ctx context.Context, id string, now time.Time) (bool, error) {
	return s.changeEvent(ctx, "complete event", sqlstore.CompleteEvent, at(now), id)
}

// FailEvent implements store.Store. The conditions are re-checked against
// a concurrent change's result, so a claim lost meanwhile matches nothing.
func (s *Store) FailEvent(ctx context.Context, id, owner string, f store.EventFailure) (bool, error) {
	if f.Dead {
		return s.changeEvent(ctx, "fail event", sqlstore.KillEvent, at(f.Now), f.Error, id, owner, f.Attempt)
	}
	return s.changeEvent(ctx, "fail event", sqlstore.RetryEvent, nullAt(f.RetryAt), f.Error, id, owner, f.Attempt)
}

// ReplayEvent implements store.Store.
func (s *Store) ReplayEvent(ctx context.Context, id string, now time.Time) (bool, error) {
	return s.changeEvent(ctx, "replay event", sqlstore.ReplayEvent, at(now), id)
}

// PruneEvents implements store.Store.
func (s *Store) PruneEvents(ctx context.Context, before time.Time, limit int) (int, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	if limit < 1 {
		return 0, nil
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, sqlstore.PruneEvents, at(before), limit)
	if err != nil {
		return 0, s.fault("prune events", err)
	}
	return int(tag.RowsAffected()), nil
}

// changeEvent runs one UPDATE of a single event and reports whether it
// matched.
func (s *Store) changeEvent(ctx context.Context, op, query string, args ...any) (bool, error) {
	if err := s.check(); err != nil {
		return false, err
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, query, args...)
	if err != nil {
		return false, s.fault(op, err)
	}
	return tag.RowsAffected() > 0, nil
}
