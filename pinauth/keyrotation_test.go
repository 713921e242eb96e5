package pinauth

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store/sqlite"
	"github.com/pinauth/caddy-pinauth/pinauth/tokens"
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
	if len(retired) != 1 || retired[0].ID != oldKid || cur.ID == oldKid || cur.Alg != tokens.AlgEdDSA {
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
	keys, _ := tokens.ListKeys(t.Context(), e.store)
	if len(keys) != 2 || keys[0].ID != oldKid || keys[0].RetiredAt.IsZero() || !keys[1].RetiredAt.IsZero() {
		t.Fatalf("stored keys: %+v", keys)
	}

	// Just before the retention ends the key is still published; then it goes.
	e.clock.Advance(e.gw.tokens.Retention() - time.Millisecond)
	e.gw.tokens.Maintain(t.Context())
	if got := e.jwksKids(); len(got) != 2 {
		t.Fatalf("JWKS just before the retention ends = %v", got)
	}
	e.clock.Advance(time.Millisecond)
	e.gw.tokens.Maintain(t.Context())
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
