package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// A sharedCase is a contract check on two stores sharing one database.
type sharedCase struct {
	name string
	fn   func(t *testing.T, a, b store.Store)
}

var sharedCases = []sharedCase{
	{"ReserveAttempt counts exactly across the stores", testSharedReserve},
	{"ClaimEvents hands each event to one claimer of either store", testSharedClaims},
}

// RunShared runs the cases that hold across processes: open must return two
// stores on one new, empty database (two processes on one SQLite file, two
// nodes on one PostgreSQL database), each closed when the test ends; it is
// called once per subtest, from parallel subtests.
func RunShared(t *testing.T, open func(t *testing.T) (store.Store, store.Store)) {
	for _, c := range sharedCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			a, b := open(t)
			c.fn(t, a, b)
		})
	}
}

func testSharedReserve(t *testing.T, a, b store.Store) {
	createAccounts(t, a, account("u1", "", "", ""))
	stores := [2]store.Store{a, b}
	const n, limit = 100, 7
	p := store.AttemptPolicy{Limit: limit, Window: time.Hour}
	got := countTrue(t, n, func(i int) (bool, error) {
		res, err := stores[i%2].ReserveAttempt(t.Context(), ref("u1"), p, t0)
		return res.Allowed, err
	})
	if got != limit {
		t.Errorf("%d of %d checks across two stores were allowed, want exactly %d", got, n, limit)
	}
	for i, s := range stores {
		if at, _ := attempts(t, s, "u1"); at.Failures != limit {
			t.Errorf("store %d sees Failures %d, want %d", i, at.Failures, limit)
		}
	}
}

func testSharedClaims(t *testing.T, a, b store.Store) {
	stores := [2]store.Store{a, b}
	const events, claimers = 60, 8
	var es []store.Event
	for i := range events {
		es = append(es, outboxEvent(fmt.Sprintf("e%02d", i), fmt.Sprintf("u%02d", i), "main", 0))
	}
	addEvents(t, a, es...)
	var mu sync.Mutex
	seen := map[string]int{}
	errs := make([]error, claimers)
	together(claimers, func(w int) {
		for {
			evs, err := stores[w%2].ClaimEvents(t.Context(), store.EventClaim{
				Owner: fmt.Sprintf("w%d", w), Endpoints: []string{"main"}, Now: ms, Lease: time.Hour, Limit: 3})
			if err != nil || len(evs) == 0 {
				errs[w] = err
				return
			}
			mu.Lock()
			for _, e := range evs {
				seen[e.ID]++
			}
			mu.Unlock()
		}
	})
	for w, err := range errs {
		if err != nil {
			t.Errorf("claimer %d: %v", w, err)
		}
	}
	if len(seen) != events {
		t.Errorf("%d of %d events were claimed", len(seen), events)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("event %s was claimed %d times", id, c)
		}
	}
}
