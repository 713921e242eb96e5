package cache

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/sqlite"
	"github.com/pinauth/caddy-pinauth/pinauth/tokens"
)

// The rules of design.md §6 as the caches keep them: what a reader keeps,
// what an invalidation drops, and that an owner is checked on a hit too.

const (
	tenant = "demo"
	uid    = "u1"
	sid    = "s1"
)

// newCaches is a set of caches no test fills, released with the test.
func newCaches(t *testing.T) *Caches {
	t.Helper()
	c, err := New(1<<20, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// storeWithSession is a new SQLite store holding account u1 of demo and
// its live session s1.
func storeWithSession(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "pinauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Now()
	err = st.Update(t.Context(), func(tx store.Tx) error {
		if err := tx.CreateAccount(store.Account{Tenant: tenant, UID: uid, Username: "alice", Active: true}); err != nil {
			return err
		}
		return tx.CreateSession(store.Session{ID: sid, Tenant: tenant, UID: uid, CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// sessionReads reads sessions from a real store, counts the reads and
// runs during (when set) after each read, as a write that lands between a
// reader's store read and its cache write would.
type sessionReads struct {
	st     store.Store
	n      int
	during func()
}

func (r *sessionReads) Session(ctx context.Context, id string) (store.Session, bool, error) {
	s, found, err := r.st.Session(ctx, id)
	r.n++
	if r.during != nil {
		r.during()
	}
	return s, found, err
}

// verified is the cache entry of a token of u1 in session s1 valid for an
// hour.
func verified(raw string) *Token {
	claims := &tokens.Claims{SID: sid}
	claims.Audience = []string{tenant}
	claims.Subject = uid
	claims.ExpiresAt = jwt.NewNumericDate(time.Now().Add(time.Hour))
	return NewToken(raw, claims)
}

// valid calls SessionValid for s1 now and fails the test on an error.
func valid(t *testing.T, c *Caches, r *sessionReads, tenant, uid string) bool {
	t.Helper()
	ok, err := c.SessionValid(t.Context(), r, sid, tenant, uid, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestASessionCachedValidIsStillCheckedAgainstItsOwner(t *testing.T) {
	t.Parallel()
	c, r := newCaches(t), &sessionReads{st: storeWithSession(t)}
	if !valid(t, c, r, tenant, uid) {
		t.Fatal("the owner's live session was found invalid")
	}
	c.Wait()
	if !c.SessionCached(sid) {
		t.Fatal("the live session was not cached")
	}
	for _, other := range []struct{ tenant, uid string }{{tenant, "u2"}, {"other", uid}} {
		if valid(t, c, r, other.tenant, other.uid) {
			t.Errorf("the cached session of %s/%s was valid for %s/%s", tenant, uid, other.tenant, other.uid)
		}
	}
	if !valid(t, c, r, tenant, uid) || r.n != 1 {
		t.Errorf("after the first read: valid for its owner %v with %d store reads, want true with 1", valid(t, c, r, tenant, uid), r.n)
	}
}

func TestAValueReadAcrossAnInvalidationIsNotKept(t *testing.T) {
	t.Parallel()
	for name, invalidate := range map[string]func(c *Caches){
		"account changed":  func(c *Caches) { c.InvalidateAccount(tenant, "u9") },
		"session revoked":  func(c *Caches) { c.RevokeSessions([]string{"s9"}, time.Now(), time.Hour) },
		"caches reset":     func(c *Caches) { c.Reset() },
		"announced change": func(c *Caches) { c.Apply(store.Invalidation{Account: store.AccountRef{Tenant: tenant, UID: "u9"}}) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, r := newCaches(t), &sessionReads{st: storeWithSession(t)}
			c.Follow(nopSubscriber{}, func() {}, time.Now, time.Hour)
			r.during = func() { invalidate(c) }
			if !valid(t, c, r, tenant, uid) {
				t.Fatal("the session as read was not valid")
			}
			st := c.Stamp()
			invalidate(c)
			vt := verified("token")
			c.KeepToken(st, vt, time.Now())
			c.KeepProfile(st, ProfileKey(tenant, uid), NewProfile(store.Account{Tenant: tenant, UID: uid}))
			c.Wait()
			if c.SessionCached(sid) {
				t.Error("a session state read across an invalidation was kept")
			}
			if _, ok := c.Token(vt.Raw); ok {
				t.Error("a token verified across an invalidation was kept")
			}
			if _, ok := c.Profile(ProfileKey(tenant, uid)); ok {
				t.Error("a profile read across an invalidation was kept")
			}
		})
	}
}

// nopSubscriber announces nothing: Apply is called by the test itself.
type nopSubscriber struct{}

func (nopSubscriber) Subscribe(context.Context, func(store.Invalidation)) {}

func TestARevokedSessionStopsItsCachedTokenAtOnceAndSurvivesAReset(t *testing.T) {
	t.Parallel()
	c, r := newCaches(t), &sessionReads{st: storeWithSession(t)}
	valid(t, c, r, tenant, uid)
	vt := verified("token")
	c.KeepToken(c.Stamp(), vt, time.Now())
	c.Wait()
	if got, ok := c.Token(vt.Raw); !ok || got != vt {
		t.Fatal("the kept token was not served")
	}
	if _, ok := c.Token(vt.Raw + "x"); ok {
		t.Fatal("another token was served the kept one's verification")
	}
	c.RevokeSessions([]string{sid}, time.Now(), time.Hour)
	if _, ok := c.Token(vt.Raw); ok {
		t.Error("the token of a revoked session was still served")
	}
	if c.SessionCached(sid) {
		t.Error("the revoked session's state stayed cached")
	}
	reads := r.n
	if valid(t, c, r, tenant, uid) || r.n != reads {
		t.Errorf("the revoked session: %d more store reads; want it refused from the revoked set", r.n-reads)
	}
	c.Reset()
	c.KeepToken(c.Stamp(), vt, time.Now())
	c.Wait()
	if _, ok := c.Token(vt.Raw); ok {
		t.Error("after a reset the token of a revoked session was served again")
	}
}

func TestAResetDropsEveryCachedEntry(t *testing.T) {
	t.Parallel()
	c, r := newCaches(t), &sessionReads{st: storeWithSession(t)}
	valid(t, c, r, tenant, uid)
	vt, key := verified("token"), ProfileKey(tenant, uid)
	c.KeepToken(c.Stamp(), vt, time.Now())
	c.KeepProfile(c.Stamp(), key, NewProfile(store.Account{Tenant: tenant, UID: uid}))
	c.Wait()
	_, tokenKept := c.Token(vt.Raw)
	_, profileKept := c.Profile(key)
	if !tokenKept || !profileKept || !c.SessionCached(sid) {
		t.Fatalf("precondition: kept token %v, profile %v, session %v", tokenKept, profileKept, c.SessionCached(sid))
	}
	c.Reset()
	_, tokenKept = c.Token(vt.Raw)
	_, profileKept = c.Profile(key)
	if tokenKept || profileKept || c.SessionCached(sid) {
		t.Errorf("after a reset: token %v, profile %v, session %v; want none", tokenKept, profileKept, c.SessionCached(sid))
	}
}

func TestAnExpiredTokenIsNotKept(t *testing.T) {
	t.Parallel()
	c := newCaches(t)
	vt := verified("token")
	c.KeepToken(c.Stamp(), vt, vt.Exp)
	c.Wait()
	if _, ok := c.Token(vt.Raw); ok {
		t.Error("a token kept at its expiry was served")
	}
}
