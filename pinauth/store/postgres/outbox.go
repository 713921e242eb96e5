package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/rows"
)

// claimableSQL selects the seq of claimable events: pending, due, not
// leased, of a listed endpoint, and the oldest pending event of their
// account and endpoint. Arguments: $1 now, $2 the endpoints, $3 limit.
const claimableSQL = `SELECT e.seq FROM events e
	WHERE e.state = 'pending'
	  AND (e.next_attempt_at IS NULL OR e.next_attempt_at <= $1)
	  AND (e.claimed_until IS NULL OR e.claimed_until <= $1)
	  AND e.endpoint = ANY($2)
	  AND NOT EXISTS (SELECT 1 FROM events o
		WHERE o.tenant = e.tenant AND o.uid = e.uid AND o.endpoint = e.endpoint AND o.state = 'pending'
		  AND (o.created_at < e.created_at OR (o.created_at = e.created_at AND o.seq < e.seq)))
	ORDER BY e.created_at, e.seq LIMIT $3`

// ClaimEvents implements store.Store. A plain read first checks whether
// anything is claimable, so idle dispatchers polling the outbox take no
// lock. The claim is one statement that locks the rows it takes with FOR
// UPDATE SKIP LOCKED: concurrent claimers of every node skip each other's
// rows instead of waiting, and a row another claim changed and committed
// meanwhile is checked again against its new version (PostgreSQL
// re-evaluates the WHERE clause of a locking read on the latest row), so
// a leased event is never handed out twice. The next event of an account
// stays blocked while the one before it is pending, locked or not.
func (s *Store) ClaimEvents(ctx context.Context, c store.EventClaim) ([]store.Event, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if c.Limit < 1 || len(c.Endpoints) == 0 {
		return nil, nil
	}
	now := at(c.Now)
	args := []any{now, c.Endpoints, c.Limit}
	qctx, cancel := s.withTimeout(ctx)
	var due bool
	err := s.pool.QueryRow(qctx, `SELECT EXISTS (`+claimableSQL+`)`, args...).Scan(&due)
	cancel()
	if err != nil {
		return nil, s.fault("claim events", err)
	}
	if !due {
		return nil, nil
	}

	var got []rows.Claimed
	err = s.inTx(ctx, "claim events", func(ctx context.Context, tx pgx.Tx) error {
		rs, err := tx.Query(ctx, `WITH claimable AS (`+claimableSQL+` FOR UPDATE OF e SKIP LOCKED)
			UPDATE events SET claimed_by = $4, claimed_until = $5, attempts = attempts + 1
			FROM claimable WHERE events.seq = claimable.seq
			RETURNING events.seq, `+rows.EventColumns,
			append(args, c.Owner, at(c.Now.Add(c.Lease)))...)
		if err != nil {
			return err
		}
		defer rs.Close()
		// A retried transaction starts over: got is replaced, not added to.
		got, err = rows.Collect(rs, scan.ClaimedEvent)
		return err
	})
	if err != nil {
		return nil, err
	}
	return rows.OldestFirst(got), nil
}

// CompleteEvent implements store.Store.
func (s *Store) CompleteEvent(ctx context.Context, id string, now time.Time) (bool, error) {
	return s.changeEvent(ctx, "complete event", `UPDATE events
		SET state = 'delivered', finished_at = $1, claimed_by = '', claimed_until = NULL
		WHERE id = $2 AND state = 'pending'`, at(now), id)
}

// FailEvent implements store.Store. The conditions are re-checked against
// a concurrent change's result, so a claim lost meanwhile matches nothing.
func (s *Store) FailEvent(ctx context.Context, id, owner string, f store.EventFailure) (bool, error) {
	if f.Dead {
		return s.changeEvent(ctx, "fail event", `UPDATE events
			SET state = 'dead', finished_at = $1, last_error = $2, claimed_by = '', claimed_until = NULL
			WHERE id = $3 AND state = 'pending' AND claimed_by = $4 AND attempts = $5`, at(f.Now), f.Error, id, owner, f.Attempt)
	}
	return s.changeEvent(ctx, "fail event", `UPDATE events
		SET next_attempt_at = $1, last_error = $2, claimed_by = '', claimed_until = NULL
		WHERE id = $3 AND state = 'pending' AND claimed_by = $4 AND attempts = $5`, nullAt(f.RetryAt), f.Error, id, owner, f.Attempt)
}

// ReplayEvent implements store.Store.
func (s *Store) ReplayEvent(ctx context.Context, id string, now time.Time) (bool, error) {
	return s.changeEvent(ctx, "replay event", `UPDATE events
		SET state = 'pending', attempts = 0, next_attempt_at = $1, last_error = '', finished_at = NULL,
			claimed_by = '', claimed_until = NULL
		WHERE id = $2 AND state = 'dead'`, at(now), id)
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
	tag, err := s.pool.Exec(ctx, `DELETE FROM events WHERE seq IN (
		SELECT seq FROM events WHERE state = 'delivered' AND finished_at < $1
		ORDER BY finished_at, seq LIMIT $2)`, at(before), limit)
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
