package sqlite

import (
	"context"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// Subscribe implements store.Store. Delivery is synchronous: the Update
// (or AddKey, RetireKey) that committed a change returns after every
// subscriber has seen it. SQLite has no channel between processes, so
// changes are announced only to subscribers of the same Store (two
// gateways during a config reload share one); other processes on the same
// file rely on their cache TTL.
func (s *Store) Subscribe(ctx context.Context, fn func(store.Invalidation)) {
	if s.closed.Load() || ctx.Err() != nil {
		return
	}
	s.subs.Add(ctx, fn)
}

// publish delivers committed invalidations to every live subscriber.
func (s *Store) publish(invs ...store.Invalidation) {
	s.subs.Deliver(invs...)
}

// Announce implements sqlstore.Conn: the invalidation is published if the
// transaction commits.
func (x *txn) Announce(inv store.Invalidation) {
	x.pending = append(x.pending, inv)
}
