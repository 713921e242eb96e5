package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

func testClaimBasics(t *testing.T, s store.Store) {
	later := outboxEvent("later", "u3", "main", 3*time.Second)
	later.NextAttemptAt = ms.Add(time.Hour) // a retry scheduled in the future
	addEvents(t, s,
		outboxEvent("b", "u2", "main", 2*time.Second),
		outboxEvent("a", "u1", "main", time.Second),
		outboxEvent("other-endpoint", "u4", "audit", 0),
		later,
		event("done", tenantA, "u5", store.EventDelivered, ms),
		event("dead", tenantA, "u6", store.EventDead, ms),
		outboxEvent("c", "u7", "main", 4*time.Second),
	)
	now := ms.Add(time.Minute)
	for _, c := range []store.EventClaim{
		{Owner: "n", Endpoints: []string{"main"}, Now: now, Lease: time.Minute, Limit: 0},
		{Owner: "n", Endpoints: nil, Now: now, Lease: time.Minute, Limit: 10},
		{Owner: "n", Endpoints: []string{"nowhere"}, Now: now, Lease: time.Minute, Limit: 10},
	} {
		if evs, err := s.ClaimEvents(t.Context(), c); err != nil || len(evs) != 0 {
			t.Errorf("ClaimEvents(Limit %d, Endpoints %v) = %v, %v; want nothing", c.Limit, c.Endpoints, ids(evs), err)
		}
	}

	got := claim(t, s, "node-1", now, 2)
	if want := []string{"a", "b"}; !slices.Equal(ids(got), want) {
		t.Fatalf("first claim = %v, want %v (oldest first, Limit 2)", ids(got), want)
	}
	for _, e := range got {
		if e.Attempts != 1 || e.ClaimedBy != "node-1" || e.State != store.EventPending {
			t.Errorf("claimed %s: Attempts %d ClaimedBy %q State %s; want 1, node-1, pending", e.ID, e.Attempts, e.ClaimedBy, e.State)
		}
		sameTime(t, "claimed "+e.ID+" ClaimedUntil", e.ClaimedUntil, now.Add(time.Minute))
		if e.Tenant != tenantA || e.Hook != "Login" || string(e.Payload) != `{"HookName":"Login"}` {
			t.Errorf("claimed %s lost fields: %+v", e.ID, e)
		}
	}
	if e := stored(t, s, "a"); e.ClaimedBy != "node-1" || e.Attempts != 1 {
		t.Errorf("Events shows a as ClaimedBy %q Attempts %d, want node-1 and 1", e.ClaimedBy, e.Attempts)
	}
	if got := claim(t, s, "node-2", now, 10); !slices.Equal(ids(got), []string{"c"}) {
		t.Errorf("second claim = %v, want [c]: a and b are leased, later is not due, done and dead are finished", ids(got))
	}
	if got := claim(t, s, "node-3", now, 10, "audit", "main"); !slices.Equal(ids(got), []string{"other-endpoint"}) {
		t.Errorf("claim with endpoint audit = %v, want [other-endpoint]", ids(got))
	}
	if got := claim(t, s, "node-4", ms.Add(time.Hour), 10); !slices.Contains(ids(got), "later") {
		t.Errorf("claim at the retry time = %v, want later among them", ids(got))
	}
}

func testClaimOrderPerAccount(t *testing.T, s store.Store) {
	addEvents(t, s,
		outboxEvent("u1-second", "u1", "main", 2*time.Second),
		outboxEvent("u1-first", "u1", "main", time.Second),
		outboxEvent("u1-tie-a", "u1", "main", 3*time.Second),
		outboxEvent("u1-tie-b", "u1", "main", 3*time.Second),
		outboxEvent("u1-audit", "u1", "audit", 2*time.Second),
		outboxEvent("u2-first", "u2", "main", 5*time.Second),
	)
	// Another tenant's account with the same uid is another queue.
	other := event("globex-u1", tenantB, "u1", store.EventPending, ms.Add(4*time.Second))
	other.Endpoint = "main"
	addEvents(t, s, other)
	now := ms.Add(time.Minute)

	got := claim(t, s, "n", now, 10, "main", "audit")
	if want := []string{"u1-first", "u1-audit", "globex-u1", "u2-first"}; !slices.Equal(ids(got), want) {
		t.Fatalf("claim = %v, want the head of each queue %v", ids(got), want)
	}
	if got := claim(t, s, "m", now, 10, "main", "audit"); len(got) != 0 {
		t.Fatalf("claim while the heads are leased = %v, want nothing", ids(got))
	}
	// A failed head waiting for its retry still blocks its queue.
	found, err := s.FailEvent(t.Context(), "u1-first", "n", store.EventFailure{Attempt: 1, Error: "500", RetryAt: now.Add(time.Hour), Now: now})
	mustFound(t, "FailEvent(u1-first)", found, err, true)
	if got := claim(t, s, "m", now, 10); len(got) != 0 {
		t.Fatalf("claim while u1-first waits for its retry = %v, want nothing", ids(got))
	}
	found, err = s.CompleteEvent(t.Context(), "u1-first", now)
	mustFound(t, "CompleteEvent(u1-first)", found, err, true)
	if got := claim(t, s, "m", now, 10); !slices.Equal(ids(got), []string{"u1-second"}) {
		t.Fatalf("claim after u1-first was delivered = %v, want [u1-second]", ids(got))
	}
	// A dead event does not block the events after it.
	found, err = s.FailEvent(t.Context(), "u1-second", "m", store.EventFailure{Attempt: 1, Error: "gone", Dead: true, Now: now})
	mustFound(t, "FailEvent(u1-second, dead)", found, err, true)
	if got := claim(t, s, "m", now, 10); !slices.Equal(ids(got), []string{"u1-tie-a"}) {
		t.Fatalf("claim after u1-second died = %v, want [u1-tie-a] (same instant: insertion order)", ids(got))
	}
}

func testClaimLease(t *testing.T, s store.Store) {
	addEvents(t, s, outboxEvent("e1", "u1", "main", 0))
	first := claim(t, s, "node-1", ms, 1)
	if len(first) != 1 {
		t.Fatalf("first claim = %v, want e1", ids(first))
	}
	// Just before the lease ends nobody else gets it; at its end anyone
	// may, and the new claim counts another attempt.
	if got := claim(t, s, "node-2", ms.Add(time.Minute-time.Millisecond), 1); len(got) != 0 {
		t.Fatalf("claim 1ms before the lease ends = %v, want nothing", ids(got))
	}
	got := claim(t, s, "node-2", ms.Add(time.Minute), 1)
	if len(got) != 1 || got[0].ClaimedBy != "node-2" || got[0].Attempts != 2 {
		t.Fatalf("claim when the lease ends = %+v, want e1 claimed by node-2 with Attempts 2", got)
	}
	// The first claimer lost the lease: it can no longer fail the event.
	found, err := s.FailEvent(t.Context(), "e1", "node-1", store.EventFailure{Attempt: 1, Error: "late", RetryAt: ms.Add(time.Hour), Now: ms})
	mustFound(t, "FailEvent by the former lease holder", found, err, false)
	if e := stored(t, s, "e1"); e.ClaimedBy != "node-2" || e.LastError != "" {
		t.Errorf("after the former holder's FailEvent: ClaimedBy %q LastError %q, want node-2 and none", e.ClaimedBy, e.LastError)
	}
	// The same owner claiming again after its own lease ran out: the
	// older attempt's failure must not end the newer claim.
	again := claim(t, s, "node-2", ms.Add(2*time.Minute), 1)
	if len(again) != 1 || again[0].Attempts != 3 {
		t.Fatalf("node-2's second claim = %+v, want e1 with Attempts 3", again)
	}
	found, err = s.FailEvent(t.Context(), "e1", "node-2", store.EventFailure{Attempt: 2, Error: "stale", RetryAt: ms.Add(time.Hour), Now: ms})
	mustFound(t, "FailEvent by an older claim of the same owner", found, err, false)
	if e := stored(t, s, "e1"); e.ClaimedBy != "node-2" || e.LastError != "" || e.ClaimedUntil.IsZero() {
		t.Errorf("after the older claim's FailEvent: %+v, want the newer claim intact", e)
	}
	found, err = s.FailEvent(t.Context(), "e1", "node-2", store.EventFailure{Attempt: 3, Error: "current", RetryAt: ms.Add(time.Hour), Now: ms})
	mustFound(t, "FailEvent by the current claim", found, err, true)
}
