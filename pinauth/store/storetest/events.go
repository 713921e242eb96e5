package storetest

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

var eventCases = []testCase{
	{"AddEvent stores every field and Events returns events oldest first", testEventRoundTrip},
	{"Events filters by state, tenant and account and honours the limit", testEventFilter},
	{"CountEvents counts the events of one state", testCountEvents},
	{"AddEvent refuses a used id", testEventDuplicate},
}

func event(id, tenant, uid string, state store.EventState, created time.Time) store.Event {
	return store.Event{ID: id, Tenant: tenant, UID: uid, Hook: "Login", Endpoint: "main",
		Payload: []byte(`{"HookName":"Login"}`), CreatedAt: created, State: state}
}

func addEvents(t *testing.T, s store.Store, es ...store.Event) {
	t.Helper()
	update(t, s, func(tx store.Tx) error {
		for _, e := range es {
			if err := tx.AddEvent(e); err != nil {
				return err
			}
		}
		return nil
	})
}

func eventIDs(t *testing.T, s store.Store, f store.EventFilter) []string {
	t.Helper()
	evs, err := s.Events(t.Context(), f)
	if err != nil {
		t.Fatalf("Events(%+v): %v", f, err)
	}
	var ids []string
	for _, e := range evs {
		ids = append(ids, e.ID)
	}
	return ids
}

func testEventRoundTrip(t *testing.T, s store.Store) {
	full := store.Event{ID: "e-full", Tenant: tenantA, UID: "u1", Hook: "SetPIN", Endpoint: "audit",
		Payload:   []byte("{\"HookName\": \"SetPIN\",\n \"Data\": {\"<x>\": \"\u00e9\"}}\x00\xff"),
		CreatedAt: t0.In(ist), State: store.EventDead, Attempts: 7,
		NextAttemptAt: t0.Add(time.Hour).In(ist), LastError: "receiver answered 500"}
	// Added newest first: Events must order by creation time, and by
	// insertion among events created at the same instant.
	addEvents(t, s,
		event("e-late", tenantA, "u1", store.EventPending, t0.Add(2*time.Second)),
		event("e-tie-1", tenantA, "u1", store.EventPending, t0.Add(time.Second)),
		event("e-tie-2", tenantA, "u1", store.EventPending, t0.Add(time.Second)),
		full,
	)
	evs, err := s.Events(t.Context(), store.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range evs {
		ids = append(ids, e.ID)
	}
	if want := []string{"e-full", "e-tie-1", "e-tie-2", "e-late"}; !slices.Equal(ids, want) {
		t.Fatalf("Events = %v, want %v", ids, want)
	}
	g := evs[0]
	sameTime(t, "CreatedAt", g.CreatedAt, full.CreatedAt)
	sameTime(t, "NextAttemptAt", g.NextAttemptAt, full.NextAttemptAt)
	sameTime(t, "pending NextAttemptAt", evs[1].NextAttemptAt, time.Time{})
	if g.ID != full.ID || g.Tenant != full.Tenant || g.UID != full.UID || g.Hook != full.Hook ||
		g.Endpoint != full.Endpoint || !bytes.Equal(g.Payload, full.Payload) || g.State != full.State ||
		g.Attempts != full.Attempts || g.LastError != full.LastError {
		t.Errorf("event:\n got  %+v\n want %+v", g, full)
	}

	// An event written without a state is pending: it must be delivered.
	noState := event("e-nostate", tenantA, "u1", "", t0.Add(time.Hour))
	addEvents(t, s, noState)
	if got := eventIDs(t, s, store.EventFilter{State: store.EventPending}); !slices.Contains(got, "e-nostate") {
		t.Errorf("pending events = %v, want e-nostate among them", got)
	}
}

func testEventFilter(t *testing.T, s store.Store) {
	addEvents(t, s,
		event("a1", tenantA, "u1", store.EventPending, t0.Add(1*time.Second)),
		event("a2", tenantA, "u2", store.EventDelivered, t0.Add(2*time.Second)),
		event("a3", tenantA, "u1", store.EventDead, t0.Add(3*time.Second)),
		event("b1", tenantB, "u1", store.EventPending, t0.Add(4*time.Second)),
		event("a4", tenantA, "u2", store.EventPending, t0.Add(5*time.Second)),
		event("a5", tenantA, "u1", store.EventPending, t0.Add(6*time.Second)),
	)
	for _, c := range []struct {
		f    store.EventFilter
		want []string
	}{
		{store.EventFilter{}, []string{"a1", "a2", "a3", "b1", "a4", "a5"}},
		{store.EventFilter{State: store.EventPending}, []string{"a1", "b1", "a4", "a5"}},
		{store.EventFilter{State: store.EventDelivered}, []string{"a2"}},
		{store.EventFilter{Tenant: tenantB}, []string{"b1"}},
		{store.EventFilter{Tenant: tenantA, UID: "u1"}, []string{"a1", "a3", "a5"}},
		{store.EventFilter{Tenant: tenantA, UID: "u1", State: store.EventPending}, []string{"a1", "a5"}},
		{store.EventFilter{UID: "u1"}, []string{"a1", "a3", "b1", "a5"}},
		{store.EventFilter{State: store.EventPending, Limit: 2}, []string{"a1", "b1"}},
		{store.EventFilter{Limit: 1}, []string{"a1"}},
		{store.EventFilter{Tenant: "initech"}, nil},
	} {
		if got := eventIDs(t, s, c.f); !slices.Equal(got, c.want) {
			t.Errorf("Events(%+v) = %v, want %v", c.f, got, c.want)
		}
	}
}

func testEventDuplicate(t *testing.T, s store.Store) {
	first := event("e1", tenantA, "u1", store.EventPending, t0)
	addEvents(t, s, first)
	err := s.Update(t.Context(), func(tx store.Tx) error {
		return tx.AddEvent(event("e1", tenantB, "u9", store.EventDead, t0.Add(time.Hour)))
	})
	if err == nil {
		t.Error("AddEvent with a used id succeeded")
	}
	evs, err := s.Events(t.Context(), store.EventFilter{})
	if err != nil || len(evs) != 1 || evs[0].Tenant != tenantA || evs[0].State != store.EventPending {
		t.Errorf("Events after a duplicate AddEvent = %+v, err %v; want the first event only", evs, err)
	}
}

func testCountEvents(t *testing.T, s store.Store) {
	count := func(state store.EventState) int {
		t.Helper()
		n, err := s.CountEvents(t.Context(), state)
		if err != nil {
			t.Fatalf("CountEvents(%s): %v", state, err)
		}
		return n
	}
	if n := count(store.EventPending); n != 0 {
		t.Fatalf("CountEvents(pending) of an empty store = %d, want 0", n)
	}
	addEvents(t, s,
		event("c1", tenantA, "u1", store.EventPending, t0.Add(1*time.Second)),
		event("c2", tenantB, "u2", store.EventPending, t0.Add(2*time.Second)),
		event("c3", tenantA, "u1", store.EventDead, t0.Add(3*time.Second)),
		event("c4", tenantA, "u3", store.EventDelivered, t0.Add(4*time.Second)),
		event("c5", tenantA, "u3", store.EventDelivered, t0.Add(5*time.Second)),
		event("c6", tenantA, "u3", "", t0.Add(6*time.Second)), // stored as pending
	)
	for state, want := range map[store.EventState]int{
		store.EventPending: 3, store.EventDead: 1, store.EventDelivered: 2, "unknown": 0,
	} {
		if n := count(state); n != want {
			t.Errorf("CountEvents(%s) = %d, want %d", state, n, want)
		}
	}
}
