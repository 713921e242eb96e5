package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

func testConcurrentClaims(t *testing.T, s store.Store) {
	const events, claimers = 40, 16
	var es []store.Event
	for i := range events {
		es = append(es, outboxEvent(fmt.Sprintf("e%02d", i), fmt.Sprintf("u%02d", i), "main", time.Duration(i)*time.Millisecond))
	}
	addEvents(t, s, es...)
	got := make([][]store.Event, claimers)
	errs := make([]error, claimers)
	together(claimers, func(i int) {
		got[i], errs[i] = s.ClaimEvents(t.Context(), store.EventClaim{
			Owner: fmt.Sprintf("node-%d", i), Endpoints: []string{"main"}, Now: ms.Add(time.Second), Lease: time.Minute, Limit: 7})
	})
	owner := map[string]string{}
	for i := range claimers {
		if errs[i] != nil {
			t.Errorf("claimer %d: %v", i, errs[i])
		}
		for _, e := range got[i] {
			if prev, dup := owner[e.ID]; dup {
				t.Errorf("event %s claimed by %s and node-%d", e.ID, prev, i)
			}
			owner[e.ID] = fmt.Sprintf("node-%d", i)
			if e.ClaimedBy != owner[e.ID] || e.Attempts != 1 {
				t.Errorf("event %s returned to node-%d with ClaimedBy %q Attempts %d", e.ID, i, e.ClaimedBy, e.Attempts)
			}
		}
	}
	if len(owner) != events {
		t.Errorf("%d of %d events were claimed; with %d claimers of 7 each, all should be", len(owner), events, claimers)
	}
	for id, o := range owner {
		if e := stored(t, s, id); e.ClaimedBy != o {
			t.Errorf("event %s is stored as claimed by %q, returned to %s", id, e.ClaimedBy, o)
		}
	}
}

func testConcurrentDrain(t *testing.T, s store.Store) {
	const accounts, perAccount, workers = 6, 5, 8
	var es []store.Event
	for i := range perAccount {
		for a := range accounts {
			es = append(es, outboxEvent(fmt.Sprintf("u%d-%d", a, i), fmt.Sprintf("u%d", a), "main",
				time.Duration(i*accounts+a)*time.Millisecond))
		}
	}
	addEvents(t, s, es...)
	var mu sync.Mutex
	delivered := map[string][]string{} // by account, in completion order
	count := map[string]int{}
	errs := make([]error, workers)
	together(workers, func(w int) {
		idle := 0
		for idle < 50 {
			evs, err := s.ClaimEvents(t.Context(), store.EventClaim{
				Owner: fmt.Sprintf("w%d", w), Endpoints: []string{"main"}, Now: ms.Add(time.Second), Lease: time.Hour, Limit: 2})
			if err != nil {
				errs[w] = err
				return
			}
			if len(evs) == 0 {
				idle++
				continue
			}
			idle = 0
			for _, e := range evs {
				mu.Lock()
				delivered[e.UID] = append(delivered[e.UID], e.ID)
				count[e.ID]++
				mu.Unlock()
				if _, err := s.CompleteEvent(t.Context(), e.ID, ms.Add(2*time.Second)); err != nil {
					errs[w] = err
					return
				}
			}
		}
	})
	for w, err := range errs {
		if err != nil {
			t.Errorf("worker %d: %v", w, err)
		}
	}
	for _, e := range es {
		if count[e.ID] != 1 {
			t.Errorf("event %s was handed out %d times, want once", e.ID, count[e.ID])
		}
	}
	for a := range accounts {
		uid := fmt.Sprintf("u%d", a)
		var want []string
		for i := range perAccount {
			want = append(want, fmt.Sprintf("u%d-%d", a, i))
		}
		if !slices.Equal(delivered[uid], want) {
			t.Errorf("account %s was delivered in the order %v, want %v", uid, delivered[uid], want)
		}
	}
}
