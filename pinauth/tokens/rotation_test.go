package tokens

import (
	"errors"
	"sync"
	"testing"
	"time"
)

func TestTheTimerPicksUpARotationWithoutAnyToken(t *testing.T) {
	t.Parallel()
	st := sharedStore(t)
	n1 := newNode(t, st)
	n2 := newNode(t, st)
	_, cur, err := n2.m.Rotate(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	n1.m.Maintain(t.Context())
	if n1.m.keys.Load().current.id != cur.ID {
		t.Fatal("a reload did not switch to the new signing key")
	}
}

func TestUnknownKidsReloadAtMostOncePerSecond(t *testing.T) {
	t.Parallel()
	m := newNode(t, sharedStore(t)).m
	before := m.keys.Load()
	if m.reloadForKid(t.Context(), before) {
		t.Fatal("a reload with nothing new reported a change")
	}
	if m.lastKidReload.IsZero() {
		t.Fatal("the reload was not recorded")
	}
	// Pretend the last reload just happened, whatever the machine's speed.
	recent := time.Now()
	m.lastKidReload = recent
	m.reloadForKid(t.Context(), before)
	if !m.lastKidReload.Equal(recent) {
		t.Fatal("a second unknown kid within a second reloaded again")
	}
	m.lastKidReload = recent.Add(-unknownKidReloadEvery)
	m.reloadForKid(t.Context(), before)
	if m.lastKidReload.Equal(recent.Add(-unknownKidReloadEvery)) {
		t.Fatal("an unknown kid a second after the last reload did not reload")
	}
	m.keys.Store(&keyRing{current: before.current, byID: before.byID})
	if !m.reloadForKid(t.Context(), before) {
		t.Fatal("a ring swapped meanwhile must be reported, so the caller retries")
	}
}

func hourly(o *Options) { o.Rotation = time.Hour }

func TestKeyRotationIntervalRotatesOnceAcrossNodes(t *testing.T) {
	t.Parallel()
	st := sharedStore(t)
	nodes := []*node{newNode(t, st, hourly), newNode(t, st, hourly), newNode(t, st, hourly)}
	first := nodes[0].m.keys.Load().current.id

	for _, n := range nodes {
		n.clock.Advance(59 * time.Minute)
		n.m.Maintain(t.Context())
	}
	if keys, _ := ListKeys(t.Context(), st); len(keys) != 1 {
		t.Fatalf("rotated before the interval: %+v", keys)
	}
	var wg sync.WaitGroup
	for _, n := range nodes {
		n.clock.Advance(time.Minute)
		wg.Add(1)
		go func() {
			defer wg.Done()
			n.m.Maintain(t.Context())
		}()
	}
	wg.Wait()
	keys, _ := ListKeys(t.Context(), st)
	active := 0
	for _, k := range keys {
		if k.RetiredAt.IsZero() {
			active++
		}
	}
	if len(keys) != 2 || active != 1 {
		t.Fatalf("after the interval: %+v, want the old key retired and one new key", keys)
	}
	for _, n := range nodes {
		n.m.Maintain(t.Context())
		if cur := n.m.keys.Load().current.id; cur == first {
			t.Fatal("a node still signs with the retired key")
		}
	}
}

func TestAnIntervalRotationOnAStaleRingKeepsTheKeyAnotherNodeJustMade(t *testing.T) {
	t.Parallel()
	st := sharedStore(t)
	a, b := newNode(t, st, hourly), newNode(t, st, hourly)
	a.clock.Advance(time.Hour)
	b.clock.Advance(time.Hour)
	// B read its ring (the old key, due) just before A rotated, and
	// rotates on it: the key A has just made is not due and stays.
	a.m.Maintain(t.Context())
	b.m.mu.Lock()
	_, err := b.m.rotateLocked(t.Context(), b.clock.Now().Add(-time.Hour))
	b.m.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := ListKeys(t.Context(), st)
	active := 0
	for _, k := range keys {
		if k.RetiredAt.IsZero() {
			active++
		}
	}
	if len(keys) != 2 || active != 1 {
		t.Fatalf("keys = %+v, want the old key retired and A's new key active", keys)
	}
	if a.m.keys.Load().current.id != b.m.keys.Load().current.id {
		t.Fatal("the nodes sign with different keys")
	}
}

func TestAnInterruptedRotationIsHealedByTheNextReload(t *testing.T) {
	t.Parallel()
	st := sharedStore(t)
	n := newNode(t, st)
	old := n.m.keys.Load().current.id
	// A rotator died between retiring the key and adding the next one.
	if _, err := st.RetireKey(t.Context(), old, n.clock.Now()); err != nil {
		t.Fatal(err)
	}
	n.m.Maintain(t.Context())
	cur := n.m.keys.Load().current.id
	if cur == old {
		t.Fatal("still signing with the retired key")
	}
	keys, _ := st.Keys(t.Context())
	if !hasActiveKey(keys, AlgEdDSA) {
		t.Fatal("no active key after the reload")
	}
}

func TestAnOperatorKeyIsNotRotated(t *testing.T) {
	t.Parallel()
	key, err := ParseOperatorKey(AlgHS256, "an-operator-secret-of-at-least-32-bytes")
	if err != nil {
		t.Fatal(err)
	}
	n := newNode(t, sharedStore(t), func(o *Options) { o.Alg, o.OperatorKey = AlgHS256, key })
	if _, _, err := n.m.Rotate(t.Context()); !errors.Is(err, ErrOperatorKey) {
		t.Fatalf("Rotate with signing_key = %v, want ErrOperatorKey", err)
	}
}
