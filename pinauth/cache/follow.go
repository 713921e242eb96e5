package cache

import (
	"context"
	"sync"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// follower keeps the caches in step with changes made by other gateways
// sharing the store: other nodes of a cluster, or the other config
// generation during a reload. The store announces every committed change
// to accounts, sessions and keys (store.Store.Subscribe); the caches drop
// what each announcement makes stale. Announcements can be missed (a lost
// PostgreSQL connection): the store then sends Reset, and the cache TTL
// bounds how long anything stale is served in between.
type follower struct {
	stop context.CancelFunc
	// mu orders announcements against Unfollow: applying one holds it for
	// reading, Unfollow for writing, so that once it returns nothing is
	// applied any more and the caches (and what keysChanged touches) can be
	// released.
	mu     sync.RWMutex
	closed bool

	keysChanged func()
	now         func() time.Time
	keepFor     time.Duration
}

// Subscriber announces committed changes (store.Store.Subscribe).
type Subscriber interface {
	Subscribe(ctx context.Context, fn func(store.Invalidation))
}

// Follow starts applying the announcements of s (see Apply) until
// Unfollow. keysChanged is called when signing keys changed or may have;
// revoked sessions are remembered for keepFor (the access-token lifetime)
// from now(). Call it at most once.
func (c *Caches) Follow(s Subscriber, keysChanged func(), now func() time.Time, keepFor time.Duration) {
	f := &c.follow
	f.keysChanged, f.now, f.keepFor = keysChanged, now, keepFor
	ctx, cancel := context.WithCancel(context.Background())
	f.stop = cancel
	s.Subscribe(ctx, c.Apply)
}

// Unfollow stops applying announcements and waits for any being applied;
// after it Apply does nothing. It may be called without Follow, and again.
func (c *Caches) Unfollow() {
	f := &c.follow
	if f.stop != nil {
		f.stop()
	}
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
}

// Apply drops what inv makes stale. Revoked sessions join the revoked set,
// so cached tokens naming them stop at once.
func (c *Caches) Apply(inv store.Invalidation) {
	f := &c.follow
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.closed {
		return
	}
	if inv.Reset {
		c.Reset()
		f.keysChanged()
		return
	}
	if inv.Account.UID != "" {
		c.InvalidateAccount(inv.Account.Tenant, inv.Account.UID)
	}
	if len(inv.Sessions) > 0 {
		c.RevokeSessions(inv.Sessions, f.now(), f.keepFor)
	}
	if inv.Keys {
		f.keysChanged()
	}
}
