package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

var quotaCases = []testCase{
	{"ReserveQuota counts limit uses per window, then refuses without counting", testQuotaLimit},
	{"ReserveQuota's window ends at its first use plus window, exactly", testQuotaWindowEnd},
	{"ReserveQuota keys count apart and limit 0 allows nothing", testQuotaKeys},
	{"ReserveQuota in a rolled-back transaction counts nothing", testQuotaRollback},
	{"200 concurrent ReserveQuota calls with limit 5 allow exactly 5", testConcurrentQuota},
}

const quotaWindow = time.Hour

// quota calls Tx.ReserveQuota in its own transaction.
func quota(t *testing.T, s store.Store, key string, limit int, now time.Time) bool {
	t.Helper()
	var ok bool
	update(t, s, func(tx store.Tx) error {
		var err error
		ok, err = tx.ReserveQuota(key, limit, quotaWindow, now)
		return err
	})
	return ok
}

// wantQuota checks one ReserveQuota answer.
func wantQuota(t *testing.T, s store.Store, key string, limit int, now time.Time, want bool) {
	t.Helper()
	if got := quota(t, s, key, limit, now); got != want {
		t.Fatalf("ReserveQuota(%s, %d) at +%v = %v, want %v", key, limit, now.Sub(ms), got, want)
	}
}

func testQuotaLimit(t *testing.T, s store.Store) {
	for i := range 3 {
		wantQuota(t, s, "k", 3, ms.Add(time.Duration(i)*time.Minute), true)
	}
	// Refused calls count nothing and do not move the window: once it has
	// ended the whole limit is available again.
	for i := range 5 {
		wantQuota(t, s, "k", 3, ms.Add(time.Duration(10+i)*time.Minute), false)
	}
	later := ms.Add(quotaWindow)
	for range 3 {
		wantQuota(t, s, "k", 3, later, true)
	}
	wantQuota(t, s, "k", 3, later, false)
	// A larger limit on the same key allows the difference.
	wantQuota(t, s, "k", 4, later.Add(time.Second), true)
	wantQuota(t, s, "k", 4, later.Add(time.Second), false)
}

func testQuotaWindowEnd(t *testing.T, s store.Store) {
	start := ms.In(ist) // times in any zone are instants
	wantQuota(t, s, "k", 2, start, true)
	// A later use does not extend the window.
	wantQuota(t, s, "k", 2, start.Add(30*time.Minute), true)
	wantQuota(t, s, "k", 2, start.Add(quotaWindow-time.Millisecond), false)
	// At start+window exactly the window has ended: a fresh count.
	wantQuota(t, s, "k", 2, start.Add(quotaWindow), true)
	wantQuota(t, s, "k", 2, start.Add(quotaWindow+time.Minute), true)
	wantQuota(t, s, "k", 2, start.Add(2*quotaWindow-time.Millisecond), false)
}

func testQuotaKeys(t *testing.T, s store.Store) {
	wantQuota(t, s, "a", 1, ms, true)
	wantQuota(t, s, "a", 1, ms, false)
	wantQuota(t, s, "b", 1, ms, true)
	wantQuota(t, s, "B", 1, ms, true) // keys are exact
	wantQuota(t, s, "c", 0, ms, false)
	wantQuota(t, s, "c", -1, ms, false)
	wantQuota(t, s, "c", 1, ms, true) // the refusals counted nothing
}

func testQuotaRollback(t *testing.T, s store.Store) {
	sentinel := &sentinelError{n: 7}
	err := s.Update(t.Context(), func(tx store.Tx) error {
		ok, err := tx.ReserveQuota("k", 1, quotaWindow, ms)
		if err != nil {
			return err
		}
		if !ok {
			return errors.New("first use refused")
		}
		return sentinel
	})
	if err != sentinel {
		t.Fatalf("Update = %v, want the sentinel", err)
	}
	wantQuota(t, s, "k", 1, ms, true)
	wantQuota(t, s, "k", 1, ms, false)
}

func testConcurrentQuota(t *testing.T, s store.Store) {
	const n, limit = 200, 5
	got := countTrue(t, n, func(i int) (allowed bool, err error) {
		err = s.Update(t.Context(), func(tx store.Tx) error {
			var err error
			allowed, err = tx.ReserveQuota("k", limit, quotaWindow, ms.Add(time.Duration(i)*time.Microsecond))
			return err
		})
		return allowed, err
	})
	if got != limit {
		t.Errorf("%d of %d concurrent ReserveQuota calls were allowed, want exactly %d", got, n, limit)
	}
}
