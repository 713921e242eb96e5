package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

var notifyCases = []testCase{
	{"committed changes announce the accounts, sessions and keys they affect, in commit order", testAnnounce},
	{"a rolled-back Update announces nothing", testAnnounceRollback},
	{"a subscription ends with its context while others go on", testSubscriptionEnds},
}

// deliveryTimeout bounds the wait for an announcement: a shared backend
// delivers asynchronously, through the database.
const deliveryTimeout = 10 * time.Second

// inbox collects what one subscription receives.
type inbox struct {
	ch chan store.Invalidation
}

// subscribe starts a subscription that lasts until the returned cancel or
// the end of the test.
func subscribe(t *testing.T, s store.Store) (*inbox, context.CancelFunc) {
	ctx, cancel := context.WithCancel(t.Context())
	in := &inbox{ch: make(chan store.Invalidation, 1000)}
	s.Subscribe(ctx, func(inv store.Invalidation) {
		inv.Sessions = slices.Clone(inv.Sessions)
		slices.Sort(inv.Sessions)
		select {
		case in.ch <- inv:
		default: // the test asserts on what it expects; overflow shows as a missing announcement
		}
	})
	return in, cancel
}

// next returns the next announcement other than Reset (which a shared
// backend sends whenever its channel (re)connects).
func (in *inbox) next(t *testing.T) store.Invalidation {
	t.Helper()
	deadline := time.NewTimer(deliveryTimeout)
	defer deadline.Stop()
	for {
		select {
		case inv := <-in.ch:
			if inv.Reset {
				continue
			}
			return inv
		case <-deadline.C:
			t.Fatalf("no announcement within %v", deliveryTimeout)
		}
	}
}

// expect checks that the next announcements are want, in order.
func (in *inbox) expect(t *testing.T, what string, want ...store.Invalidation) {
	t.Helper()
	for i, w := range want {
		if got := in.next(t); !reflect.DeepEqual(got, w) {
			t.Fatalf("%s: announcement %d = %+v, want %+v", what, i+1, got, w)
		}
	}
}

// pending returns what arrived so far without waiting, Resets left out.
func (in *inbox) pending() []store.Invalidation {
	var out []store.Invalidation
	for {
		select {
		case inv := <-in.ch:
			if !inv.Reset {
				out = append(out, inv)
			}
		default:
			return out
		}
	}
}

func accountChanged(uid string) store.Invalidation { return store.Invalidation{Account: ref(uid)} }

func sessionsRevoked(ids ...string) store.Invalidation { return store.Invalidation{Sessions: ids} }

var keysChanged = store.Invalidation{Keys: true}

// save stores a change of the account in its own Update.
func save(t *testing.T, s store.Store, uid string) {
	t.Helper()
	update(t, s, func(tx store.Tx) error {
		a, found, err := tx.Account(tenantA, uid)
		if err != nil || !found {
			return fmt.Errorf("Account(%s) = found %v, err %v", uid, found, err)
		}
		a.NoOfLogins++
		_, err = tx.SaveAccount(a)
		return err
	})
}

func testAnnounce(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, account("u1", "one@example.com", "", ""), account("u2", "two@example.com", "", ""))
	createSessions(t, s, session("s1", "u1"), session("s2", "u1"), session("s3", "u1"), session("s4", "u1"))
	in, _ := subscribe(t, s)

	save(t, s, "u1")
	in.expect(t, "SaveAccount", accountChanged("u1"))

	update(t, s, func(tx store.Tx) error { _, err := tx.RevokeSession("s1", t0); return err })
	in.expect(t, "RevokeSession", sessionsRevoked("s1"))

	update(t, s, func(tx store.Tx) error { _, err := tx.RevokeSessions(ref("u1"), "s4", t0); return err })
	in.expect(t, "RevokeSessions (s1 was revoked before, s4 is kept)", sessionsRevoked("s2", "s3"))

	update(t, s, func(tx store.Tx) error { _, err := tx.DeleteAccount(tenantA, "u2"); return err })
	in.expect(t, "DeleteAccount", accountChanged("u2"))

	addKey(t, s, key("k1", "EdDSA", t0), false)
	in.expect(t, "AddKey", keysChanged)
	if addKey(t, s, key("k2", "EdDSA", t0), true) {
		t.Fatal("AddKey(onlyIfNone) beside an active key inserted")
	}
	if found, err := s.RetireKey(ctx, "k-missing", t0); found || err != nil {
		t.Fatalf("RetireKey(missing) = %v, %v", found, err)
	}
	if found, err := s.RetireKey(ctx, "k1", t0); !found || err != nil {
		t.Fatalf("RetireKey(k1) = %v, %v", found, err)
	}
	// Neither the refused AddKey nor the retirement of a missing key
	// announced anything: the next announcement is the retirement of k1.
	in.expect(t, "RetireKey", keysChanged)

	// Two changes in one transaction are both announced, and calls that
	// change nothing announce nothing.
	update(t, s, func(tx store.Tx) error {
		if _, err := tx.RevokeSessions(ref("u1"), "s4", t0); err != nil {
			return err
		}
		if found, err := tx.RevokeSession("s-missing", t0); found || err != nil {
			return fmt.Errorf("RevokeSession(missing) = %v, %v", found, err)
		}
		if found, err := tx.DeleteAccount(tenantA, "u-missing"); found || err != nil {
			return fmt.Errorf("DeleteAccount(missing) = %v, %v", found, err)
		}
		if err := tx.CreateAccount(account("u3", "three@example.com", "", "")); err != nil {
			return err
		}
		if _, err := tx.RevokeSessions(ref("u1"), "", t0); err != nil {
			return err
		}
		a, _, err := tx.Account(tenantA, "u1")
		if err != nil {
			return err
		}
		_, err = tx.SaveAccount(a)
		return err
	})
	got := []store.Invalidation{in.next(t), in.next(t)}
	want := []store.Invalidation{sessionsRevoked("s4"), accountChanged("u1")}
	if !slices.ContainsFunc(got, func(i store.Invalidation) bool { return reflect.DeepEqual(i, want[0]) }) ||
		!slices.ContainsFunc(got, func(i store.Invalidation) bool { return reflect.DeepEqual(i, want[1]) }) {
		t.Fatalf("one Update with two changes announced %+v, want %+v in any order", got, want)
	}
	save(t, s, "u1")
	in.expect(t, "SaveAccount after the calls that changed nothing", accountChanged("u1"))
}

func testAnnounceRollback(t *testing.T, s store.Store) {
	createAccounts(t, s, account("u1", "one@example.com", "", ""))
	createSessions(t, s, session("s1", "u1"))
	in, _ := subscribe(t, s)

	sentinel := errors.New("storetest: roll back")
	err := s.Update(t.Context(), func(tx store.Tx) error {
		a, _, err := tx.Account(tenantA, "u1")
		if err != nil {
			return err
		}
		if _, err := tx.SaveAccount(a); err != nil {
			return err
		}
		if _, err := tx.RevokeSessions(ref("u1"), "", t0); err != nil {
			return err
		}
		if _, err := tx.DeleteAccount(tenantA, "u1"); err != nil {
			return err
		}
		return sentinel
	})
	if err != sentinel {
		t.Fatalf("Update = %v, want the sentinel", err)
	}
	addKey(t, s, key("k1", "EdDSA", t0), false)
	in.expect(t, "after a rolled-back Update, the next commit", keysChanged)
}

func testSubscriptionEnds(t *testing.T, s store.Store) {
	createAccounts(t, s, account("u1", "one@example.com", "", ""))
	ended, cancel := subscribe(t, s)
	going, _ := subscribe(t, s)
	save(t, s, "u1")
	ended.expect(t, "before the cancel", accountChanged("u1"))
	going.expect(t, "before the cancel", accountChanged("u1"))

	cancel()
	save(t, s, "u1")
	addKey(t, s, key("k1", "EdDSA", t0), false)
	going.expect(t, "after the other's cancel", accountChanged("u1"), keysChanged)
	// Both changes were delivered to the live subscription, so a
	// subscription that still ran would have been called too.
	if got := ended.pending(); len(got) != 0 {
		t.Errorf("a cancelled subscription received %+v", got)
	}

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s.Subscribe(t.Context(), func(store.Invalidation) { t.Error("a subscription to a closed store was called") })
}
