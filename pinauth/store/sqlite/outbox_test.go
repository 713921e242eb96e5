package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

func TestEventsWrittenBeforeTheLeaseColumnsAreClaimableAfterTheUpgrade(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pinauth.db")
	s, err := open(path, migrations[:1])
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(context.Background(), func(tx store.Tx) error {
		return tx.AddEvent(store.Event{ID: "old", Tenant: "acme", UID: "u1", Hook: "Login", Endpoint: "main",
			Payload: []byte(`{}`), CreatedAt: t0, NextAttemptAt: t0})
	})
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	evs, err := s.ClaimEvents(context.Background(), store.EventClaim{
		Owner: "n", Endpoints: []string{"main"}, Now: t0, Lease: time.Minute, Limit: 5})
	if err != nil || len(evs) != 1 || evs[0].ID != "old" || evs[0].ClaimedBy != "n" || evs[0].Attempts != 1 {
		t.Fatalf("ClaimEvents after the upgrade = %+v, %v; want the old event, claimed", evs, err)
	}
}

// Two Stores on one file stand for two processes: their claims go through
// SQLite's file lock, not the shared write connection of one Store.
func TestTwoProcessesOnOneFileNeverClaimTheSameEvent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pinauth.db")
	var stores [2]*Store
	for i := range stores {
		s, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	const n = 60
	err := stores[0].Update(context.Background(), func(tx store.Tx) error {
		for i := range n {
			if err := tx.AddEvent(store.Event{ID: fmt.Sprintf("e%d", i), Tenant: "acme", UID: fmt.Sprintf("u%d", i),
				Hook: "Login", Endpoint: "main", CreatedAt: t0}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := stores[w%2]
			for {
				evs, err := s.ClaimEvents(context.Background(), store.EventClaim{
					Owner: fmt.Sprintf("w%d", w), Endpoints: []string{"main"}, Now: t0, Lease: time.Hour, Limit: 3})
				if err != nil {
					t.Error(err)
					return
				}
				if len(evs) == 0 {
					return
				}
				mu.Lock()
				for _, e := range evs {
					seen[e.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != n {
		t.Errorf("%d of %d events were claimed", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("event %s was claimed %d times", id, c)
		}
	}
}
