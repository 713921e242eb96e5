package pinauth

import (
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store/sqlite"
)

// sharedStore opens one SQLite store for several gateways (nodes).
func sharedStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "pinauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestRotatedKeySignsWhileTheRetiredOneVerifiesUntilItsTokensExpire(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	old := e.loggedIn(testEmail)
	oldKid := kidOf(t, old.str("access_token"))
	e.clock.Advance(time.Minute)

	retired, cur, err := e.gw.RotateKey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(retired) != 1 || retired[0].ID != oldKid || cur.ID == oldKid || cur.Alg != AlgEdDSA {
		t.Fatalf("RotateKey = %+v, %+v", retired, cur)
	}
	fresh := e.passwordLogin(testEmail, testPass)
	if got := kidOf(t, fresh.str("access_token")); got != cur.ID {
		t.Fatalf("new token kid = %s, want %s", got, cur.ID)
	}
	// Verified from scratch (not from the cache): the retired key still verifies.
	if _, e2 := e.gw.verifyUncached(t.Context(), old.str("access_token"), e.clock.Now()); e2 != nil {
		t.Fatalf("a token of the retired key: %v", e2)
	}
	wantOK(t, "new token", e.protected(fresh.str("access_token")))
	if got, want := e.jwksKids(), sorted(oldKid, cur.ID); !slices.Equal(got, want) {
		t.Fatalf("JWKS after the rotation = %v, want %v", got, want)
	}
	keys, _ := ListKeys(t.Context(), e.store)
	if len(keys) != 2 || keys[0].ID != oldKid || keys[0].RetiredAt.IsZero() || !keys[1].RetiredAt.IsZero() {
		t.Fatalf("stored keys: %+v", keys)
	}

	// Just before the retention ends the key is still published; then it goes.
	e.clock.Advance(e.gw.keyRetention() - time.Millisecond)
	e.gw.maintainKeys(t.Context())
	if got := e.jwksKids(); len(got) != 2 {
		t.Fatalf("JWKS just before the retention ends = %v", got)
	}
	e.clock.Advance(time.Millisecond)
	e.gw.maintainKeys(t.Context())
	if got := e.jwksKids(); !slices.Equal(got, []string{cur.ID}) {
		t.Fatalf("JWKS after the retention = %v, want only %s", got, cur.ID)
	}
}

func sorted(s ...string) []string { slices.Sort(s); return s }

func TestARotationByAnotherNodeIsPickedUp(t *testing.T) {
	t.Parallel()
	st := sharedStore(t)
	n1 := newTestEnvOn(t, st)
	n2 := newTestEnvOn(t, st)
	login := n1.loggedIn(testEmail)
	wantOK(t, "node 2 verifies node 1's token", n2.protected(login.str("access_token")))

	_, cur, err := n2.gw.RotateKey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	fresh := n2.passwordLogin(testEmail, testPass)
	if kidOf(t, fresh.str("access_token")) != cur.ID {
		t.Fatal("node 2 does not sign with its new key")
	}
	// Node 1 has never seen the new kid: the token makes it reload.
	wantOK(t, "node 1 verifies a token of the new key", n1.protected(fresh.str("access_token")))
	if got := kidOf(t, n1.passwordLogin(testEmail, testPass).str("access_token")); got != cur.ID {
		t.Fatalf("node 1 signs with %s after the reload, want %s", got, cur.ID)
	}
	wantOK(t, "node 1 still verifies its own old token", n1.protected(login.str("access_token")))
}

func TestTheTimerPicksUpARotationWithoutAnyToken(t *testing.T) {
	t.Parallel()
	st := sharedStore(t)
	n1 := newTestEnvOn(t, st)
	n2 := newTestEnvOn(t, st)
	_, cur, err := n2.gw.RotateKey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	n1.gw.maintainKeys(t.Context())
	if n1.gw.keys.Load().current.id != cur.ID {
		t.Fatal("a reload did not switch to the new signing key")
	}
}

func TestUnknownKidsReloadAtMostOncePerSecond(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	before := e.gw.keys.Load()
	if e.gw.reloadKeysForKid(t.Context(), before) {
		t.Fatal("a reload with nothing new reported a change")
	}
	if e.gw.lastKidReload.IsZero() {
		t.Fatal("the reload was not recorded")
	}
	// Pretend the last reload just happened, whatever the machine's speed.
	recent := time.Now()
	e.gw.lastKidReload = recent
	e.gw.reloadKeysForKid(t.Context(), before)
	if !e.gw.lastKidReload.Equal(recent) {
		t.Fatal("a second unknown kid within a second reloaded again")
	}
	e.gw.lastKidReload = recent.Add(-unknownKidReloadEvery)
	e.gw.reloadKeysForKid(t.Context(), before)
	if e.gw.lastKidReload.Equal(recent.Add(-unknownKidReloadEvery)) {
		t.Fatal("an unknown kid a second after the last reload did not reload")
	}
	e.gw.keys.Store(&keyRing{current: before.current, byID: before.byID})
	if !e.gw.reloadKeysForKid(t.Context(), before) {
		t.Fatal("a ring swapped meanwhile must be reported, so the caller retries")
	}
}

func TestKeyRotationIntervalRotatesOnceAcrossNodes(t *testing.T) {
	t.Parallel()
	st := sharedStore(t)
	every := func(c *Config) { c.KeyRotation = time.Hour }
	nodes := []*testEnv{newTestEnvOn(t, st, every), newTestEnvOn(t, st, every), newTestEnvOn(t, st, every)}
	first := nodes[0].gw.keys.Load().current.id

	for _, n := range nodes {
		n.clock.Advance(59 * time.Minute)
		n.gw.maintainKeys(t.Context())
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
			n.gw.maintainKeys(t.Context())
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
		n.gw.maintainKeys(t.Context())
		if cur := n.gw.keys.Load().current.id; cur == first {
			t.Fatal("a node still signs with the retired key")
		}
	}
}

func TestAnIntervalRotationOnAStaleRingKeepsTheKeyAnotherNodeJustMade(t *testing.T) {
	t.Parallel()
	st := sharedStore(t)
	every := func(c *Config) { c.KeyRotation = time.Hour }
	a, b := newTestEnvOn(t, st, every), newTestEnvOn(t, st, every)
	a.clock.Advance(time.Hour)
	b.clock.Advance(time.Hour)
	// B read its ring (the old key, due) just before A rotated, and
	// rotates on it: the key A has just made is not due and stays.
	a.gw.maintainKeys(t.Context())
	b.gw.keyMu.Lock()
	_, err := b.gw.rotateLocked(t.Context(), b.clock.Now().Add(-time.Hour))
	b.gw.keyMu.Unlock()
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
	if a.gw.keys.Load().current.id != b.gw.keys.Load().current.id {
		t.Fatal("the nodes sign with different keys")
	}
}

func TestAnInterruptedRotationIsHealedByTheNextReload(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	old := e.gw.keys.Load().current.id
	// A rotator died between retiring the key and adding the next one.
	if _, err := e.store.RetireKey(t.Context(), old, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	e.gw.maintainKeys(t.Context())
	cur := e.gw.keys.Load().current.id
	if cur == old {
		t.Fatal("still signing with the retired key")
	}
	keys, _ := e.store.Keys(t.Context())
	if !hasActiveKey(keys, AlgEdDSA) {
		t.Fatal("no active key after the reload")
	}
}

func TestAnOperatorKeyIsNotRotated(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, func(c *Config) {
		c.SigningAlg = AlgHS256
		c.SigningKey = "an-operator-secret-of-at-least-32-bytes"
	})
	if _, _, err := e.gw.RotateKey(t.Context()); !errors.Is(err, ErrOperatorKey) {
		t.Fatalf("RotateKey with signing_key = %v, want ErrOperatorKey", err)
	}
}

func TestKeyRotationConfigAndClose(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	cfg := e.cfg
	cfg.KeyRotation = time.Second
	if _, err := New(cfg); err == nil {
		t.Fatal("a key_rotation under a minute was accepted")
	}
	cfg.KeyRotation = time.Hour
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		g.Close()
		g.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not stop the key loop")
	}
}
