package rows

import (
	"cmp"
	"slices"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// EventColumns are the columns Event reads, in its order.
const EventColumns = `id, tenant, uid, hook, endpoint, payload, created_at, state, attempts, next_attempt_at,
	last_error, claimed_by, claimed_until, finished_at`

// EventLimit is the number of events Reader.Events returns for a filter's
// Limit: 1000 when it is below 1.
func EventLimit(limit int) int {
	if limit < 1 {
		return 1000
	}
	return limit
}

// Event reads a row of EventColumns.
func (utc Scan[T]) Event(sc Scanner) (store.Event, error) {
	return utc.event(sc)
}

// Claimed is an event a claim returned, with its insertion sequence
// number.
type Claimed struct {
	Seq   int64
	Event store.Event
}

// ClaimedEvent reads a row of seq followed by EventColumns.
func (utc Scan[T]) ClaimedEvent(sc Scanner) (Claimed, error) {
	var c Claimed
	var err error
	c.Event, err = utc.event(sc, &c.Seq)
	return c, err
}

// event reads a row of EventColumns after the columns scanned into lead.
func (utc Scan[T]) event(sc Scanner, lead ...any) (store.Event, error) {
	var e store.Event
	var state string
	var created T
	var next, claimedUntil, finished *T
	if err := sc.Scan(append(lead, &e.ID, &e.Tenant, &e.UID, &e.Hook, &e.Endpoint, &e.Payload, &created, &state,
		&e.Attempts, &next, &e.LastError, &e.ClaimedBy, &claimedUntil, &finished)...); err != nil {
		return store.Event{}, err
	}
	e.State, e.CreatedAt, e.NextAttemptAt = store.EventState(state), utc(created), utc.orZero(next)
	e.ClaimedUntil, e.FinishedAt = utc.orZero(claimedUntil), utc.orZero(finished)
	return e, nil
}

// OldestFirst returns the claimed events in the order ClaimEvents promises
// (by CreatedAt, then insertion order), which an UPDATE … RETURNING does
// not give.
func OldestFirst(got []Claimed) []store.Event {
	slices.SortFunc(got, func(a, b Claimed) int {
		if c := a.Event.CreatedAt.Compare(b.Event.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.Seq, b.Seq)
	})
	out := make([]store.Event, len(got))
	for i, c := range got {
		out[i] = c.Event
	}
	return out
}
