package cache

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// journal is a Source whose Changes fail while down is set.
type journal struct {
	down    atomic.Bool
	changes atomic.Pointer[store.Changes]
}

func (j *journal) Subscribe(context.Context, func(store.Invalidation)) {}

func (j *journal) Changes(context.Context, time.Time) (store.Changes, error) {
	if j.down.Load() {
		return store.Changes{}, errors.New("store unreachable")
	}
	if c := j.changes.Load(); c != nil {
		return *c, nil
	}
	return store.Changes{}, nil
}

func following(t *testing.T, budget int64, j *journal) *Caches {
	t.Helper()
	c, err := New(budget, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	c.Follow(j, func() {}, time.Now, 15*time.Minute)
	t.Cleanup(func() { c.Unfollow(); c.Close() })
	return c
}

func TestClaimsAreTrustedOnlyWhileTheJournalIsRead(t *testing.T) {
	t.Parallel()
	j := &journal{}
	j.down.Store(true)
	c := following(t, 1<<20, j)
	key := ProfileKey("demo", "u1")
	if c.TrustsClaims(key) {
		t.Fatal("trusted before the journal was ever read")
	}
	j.down.Store(false)
	waitTrust(t, c, key, true, 2*time.Second)
	// The store goes away: within the trust window the claims lapse.
	j.down.Store(true)
	waitTrust(t, c, key, false, trustWindow+time.Second)
	j.down.Store(false)
	j.changes.Store(&store.Changes{Accounts: []store.AccountRef{{Tenant: "demo", UID: "u1"}}})
	waitTrust(t, c, ProfileKey("demo", "u2"), true, 2*time.Second)
	if c.TrustsClaims(key) {
		t.Error("an account the journal names as changed is trusted")
	}
}

func waitTrust(t *testing.T, c *Caches, key string, want bool, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for c.TrustsClaims(key) != want {
		if time.Now().After(deadline) {
			t.Fatalf("TrustsClaims(%q) still %v after %v", key, !want, limit)
		}
		time.Sleep(5 * time.Millisecond) // pacing a poll of the poller's progress
	}
}

func TestTheStalenessSetsStayWithinTheirBoundAndFailTowardTheStore(t *testing.T) {
	t.Parallel()
	j := &journal{}
	j.down.Store(true) // no poll clears the suspects
	c, err := New(1<<20, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.fresh.keepFor = time.Minute
	c.fresh.heard.Store(c.fresh.clock()) // as after a successful poll
	limit := c.fresh.limit
	for i := range limit {
		c.InvalidateAccount("demo", fmt.Sprint(i))
	}
	other := ProfileKey("demo", "other")
	// As after a successful poll, again: filling the set may take longer
	// than the trust window on a loaded machine.
	c.fresh.heard.Store(c.fresh.clock())
	if !c.TrustsClaims(other) {
		t.Fatal("at the bound, an unmarked account is not trusted")
	}
	c.fresh.heard.Store(c.fresh.clock())
	c.InvalidateAccount("demo", "one-too-many")
	if n := len(*c.fresh.suspect.Load()); n > limit {
		t.Errorf("%d suspects held, bound %d", n, limit)
	}
	if c.TrustsClaims(other) || c.TrustsClaims(ProfileKey("demo", "one-too-many")) {
		t.Error("past the bound, claims are still trusted: the dropped mark would be ignored")
	}
	keys := make([]string, limit+10)
	for i := range keys {
		keys[i] = ProfileKey("demo", fmt.Sprint("s", i))
	}
	now := time.Now()
	c.markStale(keys, now.Add(time.Minute), now, 0)
	if n := len(*c.fresh.stale.Load()); n > limit {
		t.Errorf("%d stale accounts held, bound %d", n, limit)
	}
}
