package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/rows"
)

// claimableSQL selects the seq of claimable events: pending, due, not
// leased, of a listed endpoint, and the oldest pending event of their
// account and endpoint. Arguments: now, now, the endpoints (the %s is
// their placeholders), limit.
const claimableSQL = `SELECT e.seq FROM events e
	WHERE e.state = 'pending'
	  AND COALESCE(e.next_attempt_at, 0) <= ?
	  AND COALESCE(e.claimed_until, 0) <= ?
	  AND e.endpoint IN (%s)
	  AND NOT EXISTS (SELECT 1 FROM events o
		WHERE o.tenant = e.tenant AND o.uid = e.uid AND o.endpoint = e.endpoint AND o.state = 'pending'
		  AND (o.created_at < e.created_at OR (o.created_at = e.created_at AND o.seq < e.seq)))
	ORDER BY e.created_at, e.seq LIMIT ?`

// ClaimEvents implements store.Store. A read on the reader pool first
// checks whether anything is claimable, so an idle dispatcher polling the
// outbox never takes the write lock; the claim itself is one UPDATE under
// the write lock, which serializes it with every other claimer (of this
// process through the single write connection, of other processes through
// BEGIN IMMEDIATE).
func (s *Store) ClaimEvents(ctx context.Context, c store.EventClaim) ([]store.Event, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if c.Limit < 1 || len(c.Endpoints) == 0 {
		return nil, nil
	}
	now := micro(c.Now)
	sel := strings.Replace(claimableSQL, "%s", strings.TrimSuffix(strings.Repeat("?, ", len(c.Endpoints)), ", "), 1)
	args := []any{now, now}
	for _, ep := range c.Endpoints {
		args = append(args, ep)
	}
	args = append(args, c.Limit)

	var due bool
	if err := s.r.QueryRowContext(ctx, `SELECT EXISTS (`+sel+`)`, args...).Scan(&due); err != nil {
		return nil, s.fault("claim events", err)
	}
	if !due {
		return nil, nil
	}

	var got []rows.Claimed
	err := s.inTx(ctx, "claim events", func(tx *sql.Tx) error {
		upd := []any{c.Owner, micro(c.Now.Add(c.Lease))}
		rs, err := tx.QueryContext(ctx, `UPDATE events SET claimed_by = ?, claimed_until = ?, attempts = attempts + 1
			WHERE seq IN (`+sel+`) RETURNING seq, `+rows.EventColumns, append(upd, args...)...)
		if err != nil {
			return err
		}
		defer rs.Close()
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
		SET state = 'delivered', finished_at = ?, claimed_by = '', claimed_until = NULL
		WHERE id = ? AND state = 'pending'`, micro(now), id)
}

// FailEvent implements store.Store.
func (s *Store) FailEvent(ctx context.Context, id, owner string, f store.EventFailure) (bool, error) {
	if f.Dead {
		return s.changeEvent(ctx, "fail event", `UPDATE events
			SET state = 'dead', finished_at = ?, last_error = ?, claimed_by = '', claimed_until = NULL
			WHERE id = ? AND state = 'pending' AND claimed_by = ? AND attempts = ?`, micro(f.Now), f.Error, id, owner, f.Attempt)
	}
	return s.changeEvent(ctx, "fail event", `UPDATE events
		SET next_attempt_at = ?, last_error = ?, claimed_by = '', claimed_until = NULL
		WHERE id = ? AND state = 'pending' AND claimed_by = ? AND attempts = ?`, nullMicro(f.RetryAt), f.Error, id, owner, f.Attempt)
}

// ReplayEvent implements store.Store.
func (s *Store) ReplayEvent(ctx context.Context, id string, now time.Time) (bool, error) {
	return s.changeEvent(ctx, "replay event", `UPDATE events
		SET state = 'pending', attempts = 0, next_attempt_at = ?, last_error = '', finished_at = NULL,
			claimed_by = '', claimed_until = NULL
		WHERE id = ? AND state = 'dead'`, micro(now), id)
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
		n, err = affected(tx.ExecContext(ctx, `DELETE FROM events WHERE seq IN (
			SELECT seq FROM events WHERE state = 'delivered' AND finished_at < ?
			ORDER BY finished_at, seq LIMIT ?)`, micro(before), limit))
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
