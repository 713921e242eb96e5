package postgres

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// defaultEventLimit is EventFilter's documented cap when Limit is 0.
const defaultEventLimit = 1000

// AddEvent implements store.Tx. An event without a State is stored as
// pending; an id already stored is an error. Lease fields are ignored:
// new events are unclaimed.
func (x *txn) AddEvent(e store.Event) error {
	if err := x.check(); err != nil {
		return err
	}
	if e.State == "" {
		e.State = store.EventPending
	}
	if _, err := x.exec(`INSERT INTO events
		(id, tenant, uid, hook, endpoint, payload, created_at, state, attempts, next_attempt_at, last_error)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		e.ID, e.Tenant, e.UID, e.Hook, e.Endpoint, e.Payload, at(e.CreatedAt), string(e.State),
		e.Attempts, nullAt(e.NextAttemptAt), e.LastError); err != nil {
		return x.s.fault("add event", err)
	}
	return nil
}

// Events implements store.Reader: oldest first, events created at the same
// instant in the order they were added. A Limit below 1 means 1000.
func (s *Store) Events(ctx context.Context, f store.EventFilter) ([]store.Event, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	var q strings.Builder
	q.WriteString(`SELECT ` + eventColumns + ` FROM events WHERE true`)
	var args []any
	for _, c := range []struct{ col, v string }{{"state", string(f.State)}, {"tenant", f.Tenant}, {"uid", f.UID}} {
		if c.v != "" {
			args = append(args, c.v)
			q.WriteString(` AND ` + c.col + ` = $` + strconv.Itoa(len(args)))
		}
	}
	limit := f.Limit
	if limit < 1 {
		limit = defaultEventLimit
	}
	args = append(args, limit)
	q.WriteString(` ORDER BY created_at, seq LIMIT $` + strconv.Itoa(len(args)))
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, q.String(), args...)
	if err != nil {
		return nil, s.fault("events", err)
	}
	defer rows.Close()
	var out []store.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, s.fault("events", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fault("events", err)
	}
	return out, nil
}

// eventColumns are the columns scanEvent reads, in its order.
const eventColumns = `id, tenant, uid, hook, endpoint, payload, created_at, state, attempts, next_attempt_at,
	last_error, claimed_by, claimed_until, finished_at`

// scanEvent reads one row of eventColumns.
func scanEvent(row pgx.Row) (store.Event, error) {
	var e store.Event
	var state string
	var created time.Time
	var next, claimedUntil, finished *time.Time
	if err := row.Scan(&e.ID, &e.Tenant, &e.UID, &e.Hook, &e.Endpoint, &e.Payload, &created, &state,
		&e.Attempts, &next, &e.LastError, &e.ClaimedBy, &claimedUntil, &finished); err != nil {
		return e, err
	}
	e.State, e.CreatedAt, e.NextAttemptAt = store.EventState(state), created.UTC(), fromNull(next)
	e.ClaimedUntil, e.FinishedAt = fromNull(claimedUntil), fromNull(finished)
	return e, nil
}
