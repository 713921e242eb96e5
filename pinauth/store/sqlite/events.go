package sqlite

import (
	"context"
	"strings"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/rows"
)

// AddEvent implements store.Tx. An event without a State is stored as
// pending; an id already stored is an error.
func (x *txn) AddEvent(e store.Event) error {
	if err := x.check(); err != nil {
		return err
	}
	if e.State == "" {
		e.State = store.EventPending
	}
	if _, err := x.exec(`INSERT INTO events
		(id, tenant, uid, hook, endpoint, payload, created_at, state, attempts, next_attempt_at, last_error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.Tenant, e.UID, e.Hook, e.Endpoint, e.Payload, micro(e.CreatedAt), string(e.State),
		e.Attempts, nullMicro(e.NextAttemptAt), e.LastError); err != nil {
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
	q.WriteString(`SELECT ` + rows.EventColumns + ` FROM events WHERE 1 = 1`)
	var args []any
	for _, c := range []struct{ col, v string }{{"state", string(f.State)}, {"tenant", f.Tenant}, {"uid", f.UID}} {
		if c.v != "" {
			q.WriteString(` AND ` + c.col + ` = ?`)
			args = append(args, c.v)
		}
	}
	q.WriteString(` ORDER BY created_at, seq LIMIT ?`)
	args = append(args, rows.EventLimit(f.Limit))
	rs, err := s.r.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return nil, s.fault("events", err)
	}
	defer rs.Close()
	out, err := rows.Collect(rs, scan.Event)
	if err != nil {
		return nil, s.fault("events", err)
	}
	return out, nil
}

// CountEvents implements store.Reader (an index-only count on events_state).
func (s *Store) CountEvents(ctx context.Context, state store.EventState) (int, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM events WHERE state = ?`, string(state)).Scan(&n); err != nil {
		return 0, s.fault("count events", err)
	}
	return n, nil
}
