package storetest

import (
	"fmt"
	"slices"
	"sync"
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

func testCompleteEvent(t *testing.T, s store.Store) {
	addEvents(t, s, outboxEvent("e1", "u1", "main", 0))
	claim(t, s, "node-1", ms, 1)
	claim(t, s, "node-2", ms.Add(time.Minute), 1) // node-1's lease ran out
	found, err := s.CompleteEvent(t.Context(), "e1", ms.Add(90*time.Second))
	mustFound(t, "CompleteEvent by the former holder", found, err, true)
	e := stored(t, s, "e1")
	if e.State != store.EventDelivered || e.ClaimedBy != "" || !e.ClaimedUntil.IsZero() {
		t.Errorf("completed event: State %s ClaimedBy %q ClaimedUntil %v; want delivered and unclaimed", e.State, e.ClaimedBy, e.ClaimedUntil)
	}
	sameTime(t, "FinishedAt", e.FinishedAt, ms.Add(90*time.Second))
	found, err = s.CompleteEvent(t.Context(), "e1", ms.Add(2*time.Minute))
	mustFound(t, "CompleteEvent again", found, err, false)
	sameTime(t, "FinishedAt after a second CompleteEvent", stored(t, s, "e1").FinishedAt, ms.Add(90*time.Second))
	found, err = s.CompleteEvent(t.Context(), "nope", ms)
	mustFound(t, "CompleteEvent(unknown)", found, err, false)
	if got := claim(t, s, "node-3", ms.Add(time.Hour), 1); len(got) != 0 {
		t.Errorf("a delivered event was claimed again: %v", ids(got))
	}
}

func testFailEvent(t *testing.T, s store.Store) {
	addEvents(t, s, outboxEvent("e1", "u1", "main", 0), outboxEvent("e2", "u2", "main", 0))
	claim(t, s, "node-1", ms, 2)
	retry := ms.Add(10 * time.Second)
	found, err := s.FailEvent(t.Context(), "e1", "node-2", store.EventFailure{Attempt: 1, Error: "x", RetryAt: retry, Now: ms})
	mustFound(t, "FailEvent by a non-holder", found, err, false)
	found, err = s.FailEvent(t.Context(), "e1", "node-1", store.EventFailure{Attempt: 1, Error: "receiver answered 500", RetryAt: retry, Now: ms})
	mustFound(t, "FailEvent", found, err, true)
	e := stored(t, s, "e1")
	if e.State != store.EventPending || e.LastError != "receiver answered 500" || e.ClaimedBy != "" || !e.ClaimedUntil.IsZero() || e.Attempts != 1 {
		t.Errorf("failed event = %+v; want pending, LastError set, unclaimed, Attempts 1", e)
	}
	sameTime(t, "NextAttemptAt", e.NextAttemptAt, retry)
	if got := claim(t, s, "node-1", retry.Add(-time.Millisecond), 1); len(got) != 0 {
		t.Errorf("claimed before its retry time: %v", ids(got))
	}
	if got := claim(t, s, "node-3", retry, 1); !slices.Equal(ids(got), []string{"e1"}) || got[0].Attempts != 2 {
		t.Errorf("claim at the retry time = %+v, want e1 with Attempts 2", got)
	}

	found, err = s.FailEvent(t.Context(), "e2", "node-1", store.EventFailure{Attempt: 1, Error: "gave up", Dead: true, Now: ms.Add(time.Second)})
	mustFound(t, "FailEvent(dead)", found, err, true)
	e = stored(t, s, "e2")
	if e.State != store.EventDead || e.LastError != "gave up" || e.ClaimedBy != "" {
		t.Errorf("dead event = %+v; want dead with LastError", e)
	}
	sameTime(t, "dead FinishedAt", e.FinishedAt, ms.Add(time.Second))
	if got := claim(t, s, "node-1", ms.Add(time.Hour), 5); slices.Contains(ids(got), "e2") {
		t.Errorf("a dead event was claimed: %v", ids(got))
	}
	found, err = s.FailEvent(t.Context(), "e2", "node-1", store.EventFailure{Attempt: 1, Error: "again", RetryAt: retry, Now: ms})
	mustFound(t, "FailEvent on a dead event", found, err, false)
}

func testReplayEvent(t *testing.T, s store.Store) {
	addEvents(t, s, outboxEvent("e1", "u1", "main", 0), outboxEvent("e2", "u2", "main", 0))
	claim(t, s, "n", ms, 2)
	found, err := s.FailEvent(t.Context(), "e1", "n", store.EventFailure{Attempt: 1, Error: "gave up", Dead: true, Now: ms})
	mustFound(t, "FailEvent(dead)", found, err, true)

	found, err = s.ReplayEvent(t.Context(), "e2", ms)
	mustFound(t, "ReplayEvent of a pending event", found, err, false)
	found, err = s.CompleteEvent(t.Context(), "e2", ms)
	mustFound(t, "CompleteEvent(e2)", found, err, true)
	found, err = s.ReplayEvent(t.Context(), "e2", ms)
	mustFound(t, "ReplayEvent of a delivered event", found, err, false)
	found, err = s.ReplayEvent(t.Context(), "nope", ms)
	mustFound(t, "ReplayEvent(unknown)", found, err, false)

	at := ms.Add(time.Hour)
	found, err = s.ReplayEvent(t.Context(), "e1", at)
	mustFound(t, "ReplayEvent", found, err, true)
	e := stored(t, s, "e1")
	if e.State != store.EventPending || e.Attempts != 0 || e.LastError != "" || !e.FinishedAt.IsZero() || string(e.Payload) != `{"HookName":"Login"}` {
		t.Errorf("replayed event = %+v; want pending, Attempts 0, no error, not finished, same payload", e)
	}
	sameTime(t, "replayed NextAttemptAt", e.NextAttemptAt, at)
	if got := claim(t, s, "m", at, 5); !slices.Equal(ids(got), []string{"e1"}) {
		t.Errorf("claim after the replay = %v, want [e1]", ids(got))
	}
}

func testPruneEvents(t *testing.T, s store.Store) {
	var es []store.Event
	for i := range 5 {
		es = append(es, outboxEvent(fmt.Sprintf("d%d", i), fmt.Sprintf("u%d", i), "main", 0))
	}
	es = append(es, outboxEvent("pending", "p", "main", 0), outboxEvent("dead", "x", "main", 0))
	addEvents(t, s, es...)
	claim(t, s, "n", ms, 10)
	for i := range 5 {
		found, err := s.CompleteEvent(t.Context(), fmt.Sprintf("d%d", i), ms.Add(time.Duration(i)*time.Hour))
		mustFound(t, "CompleteEvent", found, err, true)
	}
	found, err := s.FailEvent(t.Context(), "dead", "n", store.EventFailure{Attempt: 1, Error: "x", Dead: true, Now: ms})
	mustFound(t, "FailEvent(dead)", found, err, true)

	if n, err := s.PruneEvents(t.Context(), ms.Add(10*time.Hour), 0); err != nil || n != 0 {
		t.Errorf("PruneEvents(limit 0) = %d, %v; want 0", n, err)
	}
	// d0, d1 and d2 finished before ms+3h (d3 exactly at it stays).
	if n, err := s.PruneEvents(t.Context(), ms.Add(3*time.Hour), 2); err != nil || n != 2 {
		t.Fatalf("PruneEvents(limit 2) = %d, %v; want 2", n, err)
	}
	if got := eventIDs(t, s, store.EventFilter{}); !slices.Equal(got, []string{"d2", "d3", "d4", "pending", "dead"}) {
		t.Errorf("after pruning 2 = %v, want the oldest delivered ones gone", got)
	}
	if n, err := s.PruneEvents(t.Context(), ms.Add(3*time.Hour), 100); err != nil || n != 1 {
		t.Fatalf("PruneEvents again = %d, %v; want 1", n, err)
	}
	if got := eventIDs(t, s, store.EventFilter{}); !slices.Equal(got, []string{"d3", "d4", "pending", "dead"}) {
		t.Errorf("after pruning = %v; pending and dead events and recent deliveries must stay", got)
	}
}

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
