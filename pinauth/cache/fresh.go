package cache

import (
	"sync"
	"sync/atomic"
	"time"
)

// An access token that carries its account's identity (tokens.Profile)
// can be served from its claims alone, without reading its session and
// account, while nothing that would make them wrong may have happened
// (issue 22). freshness holds what tells:
//   - the revoked set (Caches.revoked) names sessions revoked while their
//     tokens may live;
//   - stale names accounts whose claims changed (or that were deleted or
//     blocked) while tokens issued before may live: their tokens take the
//     store path;
//   - suspect names accounts announced as changed (any save) since the
//     last poll of the journal began: until a poll tells whether their
//     claims changed, their tokens take the store path too.
//
// The journal (store.Reader.Changes) is polled every pollInterval; claims
// are trusted only while a poll that began less than trustWindow ago
// succeeded, so a node that cannot read the journal (or missed
// announcements) fails toward the store, never toward stale identity.
type freshness struct {
	mu      sync.Mutex // serializes writers; readers load the maps
	stale   atomic.Pointer[map[string]time.Time]
	suspect atomic.Pointer[map[string]uint64]
	// polls counts polls started: a suspect marked while it was n is
	// cleared by poll n+1, the first to begin after the mark.
	polls atomic.Uint64
	// heard is when (on base's monotonic clock) the last successful poll
	// began; 0 before the first.
	heard atomic.Int64
	// resets counts Caches.Reset calls: a poll that began before one does
	// not renew the trust.
	resets atomic.Uint64
	// overflowUntil is when (on base's clock) claims may be trusted again
	// after a mark was dropped at the bound.
	overflowUntil atomic.Int64
	base          time.Time
	// limit bounds the entries of stale and of suspect.
	limit int
	// keepFor is the access-token lifetime: how long a mark matters.
	keepFor time.Duration
	// since is where the next poll reads the journal from (poll only).
	since time.Time
	// polling is done when the poll loop has stopped.
	polling sync.WaitGroup
}

const (
	// pollInterval is how often the journal is read.
	pollInterval = 250 * time.Millisecond
	// trustWindow is how recent the last successful poll must be for
	// claims to be trusted: the longest a change made elsewhere and not
	// announced can go unnoticed (design §8: one second across nodes).
	trustWindow = time.Second
	// journalOverlap is how far back each poll reads before the previous
	// one began: transactions commit after they journal, and clocks of a
	// cluster differ a little.
	journalOverlap = 30 * time.Second
	// freshEntryCost is about what one entry of the sets takes.
	freshEntryCost = 512
)

func (f *freshness) init(budget int64) {
	f.base = time.Now()
	f.limit = int(max(budget/freshEntryCost, 1024))
	stale, suspect := map[string]time.Time{}, map[string]uint64{}
	f.stale.Store(&stale)
	f.suspect.Store(&suspect)
}

// clock is the time on base's monotonic clock, never 0.
func (f *freshness) clock() int64 { return int64(time.Since(f.base)) + 1 }

// TrustsClaims reports whether the claims of a token of the account with
// profile key key may be served without reading the store.
func (c *Caches) TrustsClaims(key string) bool {
	f := &c.fresh
	now := f.clock()
	heard := f.heard.Load()
	if heard == 0 || now-heard >= int64(trustWindow) || now < f.overflowUntil.Load() {
		return false
	}
	if _, ok := (*f.stale.Load())[key]; ok {
		return false
	}
	_, ok := (*f.suspect.Load())[key]
	return !ok
}

// markSuspect records that account key changed in some way.
func (c *Caches) markSuspect(key string) {
	f := &c.fresh
	f.mu.Lock()
	defer f.mu.Unlock()
	old := *f.suspect.Load()
	if len(old) >= f.limit {
		f.overflowed()
		return
	}
	next := make(map[string]uint64, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[key] = f.polls.Load() + 1
	f.suspect.Store(&next)
}

// overflowed stops trusting claims for as long as a dropped mark could
// matter: the lifetime of the tokens it was about (the caller holds f.mu).
func (f *freshness) overflowed() {
	f.overflowUntil.Store(f.clock() + int64(f.keepFor))
}

// markStale records accounts whose claims changed, until until, and
// clears the suspects that poll n began after. It returns the keys that
// were not stale before. At the bound a mark is dropped, and claims are
// not trusted until it could no longer matter.
func (c *Caches) markStale(keys []string, until, now time.Time, n uint64) []string {
	f := &c.fresh
	f.mu.Lock()
	defer f.mu.Unlock()
	old := *f.stale.Load()
	var added []string
	expired := false
	for _, v := range old {
		if !v.After(now) {
			expired = true
			break
		}
	}
	for _, k := range keys {
		if _, ok := old[k]; !ok {
			added = append(added, k)
		}
	}
	if expired || len(added) > 0 {
		next := make(map[string]time.Time, len(old)+len(added))
		for k, v := range old {
			if v.After(now) {
				next[k] = v
			}
		}
		for _, k := range added {
			if len(next) >= f.limit {
				f.overflowed()
				break
			}
			next[k] = until
		}
		f.stale.Store(&next)
	}
	suspects := *f.suspect.Load()
	kept := make(map[string]uint64, len(suspects))
	for k, v := range suspects {
		if v > n {
			kept[k] = v
		}
	}
	if len(kept) != len(suspects) {
		f.suspect.Store(&kept)
	}
	return added
}
