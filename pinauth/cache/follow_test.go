package cache

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

func TestTheStoresAnnouncementsInvalidateUntilUnfollow(t *testing.T) {
	t.Parallel()
	st := storeWithSession(t)
	c, r := newCaches(t), &sessionReads{st: st}
	var keysChanged atomic.Int32
	c.Follow(st, func() { keysChanged.Add(1) }, time.Now, time.Hour)
	key := ProfileKey(tenant, uid)
	keepProfile := func() {
		c.KeepProfile(c.Stamp(), key, NewProfile(store.Account{Tenant: tenant, UID: uid}))
		c.Wait()
		if _, ok := c.Profile(key); !ok {
			t.Fatal("precondition: the profile was not kept")
		}
	}
	saveAccount := func() {
		t.Helper()
		a, _, err := st.Account(t.Context(), tenant, uid)
		if err != nil {
			t.Fatal(err)
		}
		a.Username = "alicia"
		if err := st.Update(t.Context(), func(tx store.Tx) error { _, err := tx.SaveAccount(a); return err }); err != nil {
			t.Fatal(err)
		}
	}

	// SQLite announces to its own subscribers before the commit returns.
	keepProfile()
	saveAccount()
	if _, ok := c.Profile(key); ok {
		t.Error("the profile of an account saved through the store was still served")
	}
	valid(t, c, r, tenant, uid)
	vt := verified("token")
	c.KeepToken(c.Stamp(), vt, time.Now())
	c.Wait()
	if err := st.Update(t.Context(), func(tx store.Tx) error { _, err := tx.RevokeSession(sid, time.Now()); return err }); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Token(vt.Raw); ok {
		t.Error("the token of a session revoked through the store was still served")
	}
	c.Apply(store.Invalidation{Keys: true})
	c.Apply(store.Invalidation{Reset: true})
	if n := keysChanged.Load(); n != 2 {
		t.Errorf("keys announced changed and a reset: keysChanged called %d times, want 2", n)
	}

	c.Unfollow()
	keepProfile()
	saveAccount()
	c.Apply(store.Invalidation{Reset: true})
	if _, ok := c.Profile(key); !ok {
		t.Error("an announcement was applied after Unfollow")
	}
	if n := keysChanged.Load(); n != 2 {
		t.Errorf("keysChanged called after Unfollow (%d calls)", n)
	}
}

// TestCallsDuringAndAfterCloseAreSafe runs every kind of call while the
// caches close, as requests in flight do while Caddy cleans up an old
// config: none may panic or race (run with -race), and once closed reads
// miss and writes are dropped.
func TestCallsDuringAndAfterCloseAreSafe(t *testing.T) {
	t.Parallel()
	c, err := New(1<<20, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	r := &sessionReads{st: storeWithSession(t)}
	raw, key := "token", ProfileKey(tenant, uid)
	calls := func() {
		// Each verification makes its own entry, as the gateway does.
		c.KeepToken(c.Stamp(), verified(raw), time.Now())
		c.KeepProfile(c.Stamp(), key, NewProfile(store.Account{Tenant: tenant, UID: uid}))
		c.Token(raw)
		c.Profile(key)
		c.InvalidateAccount(tenant, uid)
		c.RevokeSessions([]string{"s9"}, time.Now(), time.Hour)
		if _, err := c.SessionValid(t.Context(), &sessionReads{st: r.st}, sid, tenant, uid, time.Now()); err != nil {
			t.Error(err)
		}
		c.Wait()
	}
	const workers, rounds = 4, 50
	var started, done sync.WaitGroup
	for range workers {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			for i := range rounds {
				calls()
				if i == 0 {
					started.Done()
				}
			}
		}()
	}
	started.Wait()
	c.Close()
	done.Wait()
	calls()
	c.Close()
	if _, ok := c.Token(raw); ok {
		t.Error("closed caches served a token")
	}
	if _, ok := c.Profile(key); ok {
		t.Error("closed caches served a profile")
	}
	if c.SessionCached(sid) {
		t.Error("closed caches served a session state")
	}
}

// TestACachedVerificationAllocatesNothing pins the protected path's warm
// lookups: the token, its account's profile and the Identity bound to them.
func TestACachedVerificationAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation allocates; CI's plain test step checks this")
	}
	c := newCaches(t)
	vt, p := verified("token"), NewProfile(store.Account{Tenant: tenant, UID: uid, Username: "alice"})
	c.KeepToken(c.Stamp(), vt, time.Now())
	c.KeepProfile(c.Stamp(), vt.ProfileKey, p)
	c.Wait()
	var id *Identity
	allocs := testing.AllocsPerRun(100, func() {
		vt, ok := c.Token("token")
		if !ok {
			t.Fatal("token not cached")
		}
		p, ok := c.Profile(vt.ProfileKey)
		if !ok {
			t.Fatal("profile not cached")
		}
		id = vt.Identity(p)
	})
	if allocs != 0 {
		t.Errorf("a cached verification allocates %v times, want 0", allocs)
	}
	if id.Username != "alice" || id.Session != sid || id.UID != uid {
		t.Errorf("identity %+v", *id)
	}
}
