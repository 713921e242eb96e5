package sqlite

import (
	"context"
	"path/filepath"
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
