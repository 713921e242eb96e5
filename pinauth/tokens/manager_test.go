package tokens

import (
	"crypto/x509"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/testkit"
	"github.com/pinauth/caddy-pinauth/pinauth/store/sqlite"
)

// testClock is the shared injectable clock (one per node).
type testClock = testkit.Clock

func newTestClock() *testClock { return testkit.NewClock() }

// sharedStore opens one SQLite store for several managers (nodes).
func sharedStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "pinauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// node is a Manager on a store, with its own clock.
type node struct {
	m     *Manager
	clock *testClock
}

// newNode starts a Manager on st, as a gateway's start-up does.
func newNode(t *testing.T, st KeyStore, mutate ...func(*Options)) *node {
	t.Helper()
	clock := newTestClock()
	opt := Options{
		Alg: AlgEdDSA, Issuer: "https://gw.test", Audiences: []string{"demo"}, AccessTTL: 15 * time.Minute,
		Peppers: secret.NewPeppers([]string{"unit-test-pepper-0123456789"}), Now: clock.Now, Log: zap.NewNop(),
	}
	for _, f := range mutate {
		f(&opt)
	}
	m, err := New(t.Context(), st, opt)
	if err != nil {
		t.Fatal(err)
	}
	return &node{m: m, clock: clock}
}

func TestKeysAreStoredSealed(t *testing.T) {
	t.Parallel()
	st := sharedStore(t)
	n := newNode(t, st)
	keys, err := st.Keys(t.Context())
	if err != nil || len(keys) != 1 {
		t.Fatalf("stored keys: %d %v", len(keys), err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(n.m.keys.Load().current.private)
	if strings.Contains(string(keys[0].Private), string(der[len(der)-32:])) {
		t.Fatal("the private key is stored in clear")
	}
}
