package sqlite

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// subscribers are the in-process subscriptions of a Store. SQLite has no
// channel between processes, so changes are announced only to subscribers
// of the same Store (two gateways during a config reload share one); other
// processes on the same file rely on their cache TTL.
type subscribers struct {
	mu   sync.Mutex
	list atomic.Pointer[[]*subscription] // copy-on-write: publishing takes no lock
}

type subscription struct {
	ctx context.Context
	fn  func(store.Invalidation)
}

// Subscribe implements store.Store. Delivery is synchronous: the Update
// (or AddKey, RetireKey) that committed a change returns after every
// subscriber has seen it.
func (s *Store) Subscribe(ctx context.Context, fn func(store.Invalidation)) {
	if s.closed.Load() || ctx.Err() != nil {
		return
	}
	sub := &subscription{ctx: ctx, fn: fn}
	s.subs.mu.Lock()
	var next []*subscription
	if old := s.subs.list.Load(); old != nil {
		next = slices.Clone(*old)
	}
	next = append(next, sub)
	s.subs.list.Store(&next)
	s.subs.mu.Unlock()
	context.AfterFunc(ctx, func() {
		s.subs.mu.Lock()
		defer s.subs.mu.Unlock()
		next := slices.DeleteFunc(slices.Clone(*s.subs.list.Load()), func(x *subscription) bool { return x == sub })
		s.subs.list.Store(&next)
	})
}

// publish delivers committed invalidations to every live subscriber.
func (s *Store) publish(invs ...store.Invalidation) {
	list := s.subs.list.Load()
	if list == nil || len(invs) == 0 {
		return
	}
	for _, sub := range *list {
		for _, inv := range invs {
			// A subscription whose context ended gets nothing more, even
			// before AfterFunc has removed it.
			if sub.ctx.Err() != nil {
				break
			}
			sub.fn(inv)
		}
	}
}

// announce records an invalidation to publish if the transaction commits.
func (x *txn) announce(inv store.Invalidation) {
	x.pending = append(x.pending, inv)
}
