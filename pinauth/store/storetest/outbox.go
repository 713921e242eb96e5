package storetest

import (
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

var outboxCases = []testCase{
	{"ClaimEvents leases due pending events of the listed endpoints, oldest first, and counts the attempt", testClaimBasics},
	{"ClaimEvents hands out an account's events per endpoint one at a time, in order", testClaimOrderPerAccount},
	{"a claimed event is claimable again exactly when its lease ends", testClaimLease},
	{"CompleteEvent marks a pending event delivered once, whoever holds the lease", testCompleteEvent},
	{"FailEvent schedules a retry or kills the event, only for the lease holder", testFailEvent},
	{"ReplayEvent puts a dead event back in the queue with the same id", testReplayEvent},
	{"PruneEvents deletes old delivered events only, up to the limit", testPruneEvents},
	{"concurrent claimers each get an event exactly once while its lease lasts", testConcurrentClaims},
	{"concurrent claimers draining the outbox deliver every event once and in order per account", testConcurrentDrain},
}

// outboxEvent is an event of endpoint ep created at ms+created.
func outboxEvent(id, uid, ep string, created time.Duration) store.Event {
	e := event(id, tenantA, uid, store.EventPending, ms.Add(created))
	e.Endpoint = ep
	return e
}

func claim(t *testing.T, s store.Store, owner string, now time.Time, limit int, endpoints ...string) []store.Event {
	t.Helper()
	if len(endpoints) == 0 {
		endpoints = []string{"main"}
	}
	evs, err := s.ClaimEvents(t.Context(), store.EventClaim{
		Owner: owner, Endpoints: endpoints, Now: now, Lease: time.Minute, Limit: limit})
	if err != nil {
		t.Fatalf("ClaimEvents(%s): %v", owner, err)
	}
	return evs
}

func ids(evs []store.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.ID)
	}
	return out
}

// stored returns the event with id, failing the test when it is missing.
func stored(t *testing.T, s store.Store, id string) store.Event {
	t.Helper()
	evs, err := s.Events(t.Context(), store.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.ID == id {
			return e
		}
	}
	t.Fatalf("event %s is not stored", id)
	return store.Event{}
}

func mustFound(t *testing.T, what string, found bool, err error, want bool) {
	t.Helper()
	if err != nil || found != want {
		t.Fatalf("%s = found %v, err %v; want found %v", what, found, err, want)
	}
}
