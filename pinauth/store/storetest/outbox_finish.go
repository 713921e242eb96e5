package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

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
