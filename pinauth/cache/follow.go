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

// Source is a Subscriber that also keeps the changes journal
// (store.Reader.Changes): only the caches of one trust tokens' claims.
type Source interface {
	Subscriber
	Changes(ctx context.Context, since time.Time) (store.Changes, error)
}

// loadTimeout bounds the first read of the journal at Follow: a store
// that does not answer leaves the gateway serving from the store (claims
// untrusted) until a later poll succeeds.
const loadTimeout = 5 * time.Second

// Follow starts applying the announcements of s (see Apply) and polling
// its journal until Unfollow, after reading the journal of the last
// keepFor (the access-token lifetime) once: a node that (re)starts trusts
// no token's claims before it knows what changed while tokens now alive
// were issued. keysChanged is called when signing keys changed or may
// have; revoked sessions are remembered for keepFor from now(). Call it at
// most once.
func (c *Caches) Follow(s Subscriber, keysChanged func(), now func() time.Time, keepFor time.Duration) {
	f := &c.follow
	f.keysChanged, f.now, f.keepFor = keysChanged, now, keepFor
	ctx, cancel := context.WithCancel(context.Background())
	f.stop = cancel
	s.Subscribe(ctx, c.Apply)
	src, ok := s.(Source)
	if !ok {
		return
	}
	fr := &c.fresh
	fr.keepFor = keepFor
	fr.since = time.Now().Add(-keepFor - journalOverlap)
	load, done := context.WithTimeout(ctx, loadTimeout)
	c.poll(load, src)
	done()
	fr.polling.Add(1)
	go c.pollLoop(ctx, src)
}

// pollLoop polls the journal every pollInterval until ctx ends.
func (c *Caches) pollLoop(ctx context.Context, s Source) {
	defer c.fresh.polling.Done()
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			call, cancel := context.WithTimeout(ctx, trustWindow)
			c.poll(call, s)
			cancel()
		}
	}
}

// poll reads the journal since the last successful poll (with some
// overlap) and applies it: revoked sessions join the revoked set, changed
// accounts the stale set (their cached profiles dropped). Success renews
// the trust in claims; a failure leaves it to lapse.
func (c *Caches) poll(ctx context.Context, s Source) {
	fr, f := &c.fresh, &c.follow
	n := fr.polls.Add(1)
	resets, began, start := fr.resets.Load(), fr.clock(), time.Now()
	ch, err := s.Changes(ctx, fr.since)
	if err != nil {
		return
	}
	now := f.now()
	revoked := *c.revoked.Load()
	var ids []string
	for _, id := range ch.Sessions {
		if _, ok := revoked[id]; !ok {
			ids = append(ids, id)
		}
	}
	c.RevokeSessions(ids, now, f.keepFor)
	keys := make([]string, len(ch.Accounts))
	for i, a := range ch.Accounts {
		keys[i] = ProfileKey(a.Tenant, a.UID)
	}
	if added := c.markStale(keys, now.Add(f.keepFor), now, n); len(added) > 0 {
		c.seq.Add(1)
		for _, k := range added {
			c.profiles.Del(k)
		}
	}
	fr.since = start.Add(-journalOverlap)
	fr.mu.Lock()
	if fr.resets.Load() == resets {
		fr.heard.Store(began)
	}
	fr.mu.Unlock()
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
	c.fresh.polling.Wait()
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
