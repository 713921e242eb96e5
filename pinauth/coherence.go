package pinauth

import (
	"context"
	"sync"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// coherence keeps the gateway's caches in step with changes made by other
// gateways sharing the store: other nodes of a cluster, or the other
// config generation during a reload. The store announces every committed
// change to accounts, sessions and keys (store.Store.Subscribe); the
// gateway drops what each announcement makes stale. Announcements can be
// missed (a lost PostgreSQL connection): the store then sends Reset, and
// the cache TTL (config.DefaultCacheTTL) bounds how long anything stale is served
// in between.
type coherence struct {
	stop context.CancelFunc
	// mu orders announcements against Close: applying one holds it for
	// reading, Close for writing before it releases the caches.
	mu     sync.RWMutex
	closed bool
}

// subscribe starts applying the store's announcements; Close stops it.
// The caches and the token manager must exist.
func (g *Gateway) subscribe() {
	ctx, cancel := context.WithCancel(context.Background())
	g.coherence.stop = cancel
	g.store.Subscribe(ctx, g.applyInvalidation)
}

// unsubscribe stops applying announcements and waits for any being
// applied, so the caches can be released.
func (g *Gateway) unsubscribe() {
	if g.coherence.stop != nil {
		g.coherence.stop()
	}
	g.coherence.mu.Lock()
	g.coherence.closed = true
	g.coherence.mu.Unlock()
}

// applyInvalidation drops what inv makes stale. Revoked sessions join the
// revoked set, so cached tokens naming them stop at once.
func (g *Gateway) applyInvalidation(inv store.Invalidation) {
	g.coherence.mu.RLock()
	defer g.coherence.mu.RUnlock()
	if g.coherence.closed {
		return
	}
	if inv.Reset {
		g.cache.reset()
		g.tokens.KeysChanged()
		return
	}
	if inv.Account.UID != "" {
		g.cache.invalidateAccount(inv.Account.Tenant, inv.Account.UID)
	}
	if len(inv.Sessions) > 0 {
		g.cache.revokeSessions(inv.Sessions, g.now(), g.cfg.AccessTTL)
	}
	if inv.Keys {
		g.tokens.KeysChanged()
	}
}
