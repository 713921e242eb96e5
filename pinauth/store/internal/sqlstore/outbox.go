package sqlstore

import (
	"context"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/rows"
)

// Claim is what a backend's claim of outbox events runs: Select selects
// the seq of the claimable events, and Args are its arguments followed by
// the claimer and the end of the lease, whose placeholders are Owner and
// Until.
type Claim struct {
	Select       string
	Args         []any
	Owner, Until string
}

// ClaimEvents implements store.Store.ClaimEvents for a backend whose
// claim runs the Claim it is given and returns the events it leased. A
// read on r first checks whether anything is claimable, so an idle
// dispatcher polling the outbox takes no lock; claim runs only then.
func ClaimEvents[T any](ctx context.Context, r *Reader[T], c store.EventClaim, claim func(Claim) ([]rows.Claimed, error)) ([]store.Event, error) {
	if err := r.check(ctx); err != nil {
		return nil, err
	}
	if c.Limit < 1 || len(c.Endpoints) == 0 {
		return nil, nil
	}
	sel, next := claimableEvents(len(c.Endpoints))
	args := []any{r.d.Time(c.Now), c.Limit}
	for _, ep := range c.Endpoints {
		args = append(args, ep)
	}
	var due bool
	err := r.call(ctx, "claim events", func(ctx context.Context) error {
		return r.db.QueryRow(ctx, `SELECT EXISTS (`+sel+`)`, args...).Scan(&due)
	})
	if err != nil || !due {
		return nil, err
	}
	got, err := claim(Claim{Select: sel, Args: append(args, c.Owner, r.d.Time(c.Now.Add(c.Lease))),
		Owner: param(next), Until: param(next + 1)})
	if err != nil {
		return nil, err
	}
	return rows.OldestFirst(got), nil
}
