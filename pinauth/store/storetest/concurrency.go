package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

var concurrencyCases = []testCase{
	{"exactly one of 2 concurrent ConsumeToken calls takes a PINAuthToken", func(t *testing.T, s store.Store) { testConcurrentConsume(t, s, store.TokenPINAuth, 2) }},
	{"exactly one of 2 concurrent ConsumeToken calls takes the token", func(t *testing.T, s store.Store) { testConcurrentConsume(t, s, store.TokenRefresh, 2) }},
	{"exactly one of 50 concurrent ConsumeToken calls takes the token", func(t *testing.T, s store.Store) { testConcurrentConsume(t, s, store.TokenRefresh, 50) }},
	{"200 concurrent ReserveAttempt calls with Limit 5 allow exactly 5", testConcurrentReserve},
	{"exactly one of 20 concurrent Lock calls locks", testConcurrentLock},
	{"of concurrent SaveAccount calls on one version one succeeds and the rest conflict", testConcurrentSave},
	{"of concurrent AddKey calls with onlyIfNone exactly one inserts", testConcurrentAddKey},
	{"of concurrent CreateAccount calls with one email one succeeds and the rest are duplicates", testConcurrentCreate},
}

func testConcurrentConsume(t *testing.T, s store.Store, kind store.TokenKind, n int) {
	createAccounts(t, s, account("u1", "", "", ""))
	insertTokens(t, s, token("h1", kind, "u1", "s1"))
	winners := countTrue(t, n, func(i int) (found bool, err error) {
		err = s.Update(t.Context(), func(tx store.Tx) error {
			var err error
			_, found, err = tx.ConsumeToken(kind, "h1", t0.Add(time.Duration(i)*time.Millisecond))
			return err
		})
		return found, err
	})
	if winners != 1 {
		t.Errorf("%d of %d concurrent ConsumeToken calls took the token, want exactly 1", winners, n)
	}
	if tok := mustToken(t, s, kind, "h1"); tok.UsedAt.IsZero() {
		t.Error("the token is not marked used")
	}
}

func testConcurrentReserve(t *testing.T, s store.Store) {
	createAccounts(t, s, account("u1", "", "", ""))
	const n, limit = 200, 5
	p := store.AttemptPolicy{Limit: limit, Window: time.Hour}
	results := make([]store.AttemptResult, n)
	errs := make([]error, n)
	together(n, func(i int) {
		results[i], errs[i] = s.ReserveAttempt(t.Context(), ref("u1"), p, t0.Add(time.Duration(i)*time.Millisecond))
	})
	allowed := 0
	counts := map[int]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Errorf("goroutine %d: %v", i, errs[i])
			continue
		}
		if results[i].Allowed {
			allowed++
			if counts[results[i].Count] {
				t.Errorf("two allowed checks both got count %d", results[i].Count)
			}
			counts[results[i].Count] = true
		} else if results[i].Count != limit {
			t.Errorf("a refused check reported count %d, want %d", results[i].Count, limit)
		}
	}
	if allowed != limit {
		t.Errorf("%d of %d concurrent checks were allowed, want exactly %d", allowed, n, limit)
	}
	if got, _ := attempts(t, s, "u1"); got.Failures != limit {
		t.Errorf("Failures = %d, want %d", got.Failures, limit)
	}
}

func testConcurrentLock(t *testing.T, s store.Store) {
	createAccounts(t, s, account("u1", "", "", ""))
	for i := 1; i <= 3; i++ {
		reserve(t, s, "u1", policy, t0, true, i)
	}
	const n = 20
	winners := countTrue(t, n, func(int) (locked bool, err error) {
		err = s.Update(t.Context(), func(tx store.Tx) error {
			var err error
			locked, err = tx.Lock(ref("u1"), 3, store.LockSuspend, t0.Add(time.Hour), t0.Add(time.Second))
			return err
		})
		return locked, err
	})
	if winners != 1 {
		t.Errorf("%d of %d concurrent Lock calls locked, want exactly 1", winners, n)
	}
	if got, _ := attempts(t, s, "u1"); !got.Locked(t0.Add(time.Second)) {
		t.Errorf("account not locked after concurrent Lock calls: %+v", got)
	}
}

func testConcurrentSave(t *testing.T, s store.Store) {
	createAccounts(t, s, account("u1", "", "", ""))
	base := mustAccount(t, s, tenantA, "u1")
	const n = 20
	errs := make([]error, n)
	together(n, func(i int) {
		a := base
		a.NoOfLogins = 100 + i
		errs[i] = s.Update(t.Context(), func(tx store.Tx) error {
			found, err := tx.SaveAccount(a)
			if !found && err == nil {
				return errors.New("SaveAccount: not found")
			}
			return err
		})
	})
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Errorf("goroutines %d and %d both saved version 1", winner, i)
			}
			winner = i
		case !errors.Is(err, store.ErrVersionConflict):
			t.Errorf("goroutine %d: err = %v, want nil or ErrVersionConflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no concurrent SaveAccount succeeded")
	}
	got := mustAccount(t, s, tenantA, "u1")
	if got.Version != 2 || got.NoOfLogins != 100+winner {
		t.Errorf("stored Version %d NoOfLogins %d, want 2 and the winner's %d", got.Version, got.NoOfLogins, 100+winner)
	}
}

func testConcurrentAddKey(t *testing.T, s store.Store) {
	const n = 20
	winners := countTrue(t, n, func(i int) (bool, error) {
		return s.AddKey(t.Context(), key(fmt.Sprintf("k%02d", i), "EdDSA", t0), true)
	})
	if winners != 1 {
		t.Errorf("%d of %d concurrent AddKey(onlyIfNone) calls inserted, want exactly 1", winners, n)
	}
	if ids := keyIDs(t, s); len(ids) != 1 {
		t.Errorf("Keys = %v, want exactly one", ids)
	}
}

func testConcurrentCreate(t *testing.T, s store.Store) {
	const n = 20
	errs := make([]error, n)
	together(n, func(i int) {
		a := account(fmt.Sprintf("u%02d", i), "Same@Example.com", "", "")
		errs[i] = s.Update(t.Context(), func(tx store.Tx) error { return tx.CreateAccount(a) })
	})
	winners := 0
	for i, err := range errs {
		if err == nil {
			winners++
			continue
		}
		wantDuplicate(t, fmt.Sprintf("goroutine %d", i), err, "email")
	}
	if winners != 1 {
		t.Errorf("%d of %d concurrent CreateAccount calls succeeded, want exactly 1", winners, n)
	}
	if n, err := s.CountAccounts(t.Context(), tenantA); n != 1 || err != nil {
		t.Errorf("CountAccounts = %d, err %v; want 1", n, err)
	}
}
