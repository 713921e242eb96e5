// Package subscribers keeps the subscriptions of a store's Subscribe for
// both SQL backends: SQLite delivers to them as its own transactions
// commit, PostgreSQL as its listener hears the notifications of every
// node.
package subscribers

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// List is a set of subscriptions. The zero List is empty and ready; it
// must not be copied after first use.
type List struct {
	mu   sync.Mutex                      // serializes changes to list
	list atomic.Pointer[[]*subscription] // copy-on-write: delivering takes no lock
}

type subscription struct {
	ctx context.Context
	fn  func(store.Invalidation)
}

// Add subscribes fn until ctx is done; then it is removed.
func (l *List) Add(ctx context.Context, fn func(store.Invalidation)) {
	sub := &subscription{ctx: ctx, fn: fn}
	l.mu.Lock()
	var next []*subscription
	if old := l.list.Load(); old != nil {
		next = slices.Clone(*old)
	}
	next = append(next, sub)
	l.list.Store(&next)
	l.mu.Unlock()
	context.AfterFunc(ctx, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		next := slices.DeleteFunc(slices.Clone(*l.list.Load()), func(x *subscription) bool { return x == sub })
		l.list.Store(&next)
	})
}

// Deliver calls every subscription's fn with each of invs, in order, on
// the calling goroutine.
func (l *List) Deliver(invs ...store.Invalidation) {
	list := l.list.Load()
	if list == nil {
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
