package caddymodule

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres/pgtest"
)

// postgresHandler is testHandler on PostgreSQL.
func postgresHandler(dsn string) *Handler {
	h := testHandler("")
	h.Store = &Store{Backend: "postgres", DSN: dsn, MaxConns: 2}
	return h
}

func TestProvisionOnPostgresSharesOnePoolPerDSNAcrossReloads(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	key := postgresKey(storeSpec{backend: "postgres", dsn: dsn, maxConns: 2})
	refs := func() int { n, _ := stores.References(key); return n }

	oldCfg := postgresHandler(dsn)
	if err := oldCfg.Provision(testContext(t)); err != nil {
		t.Fatalf("Provision: %v", err)
	}
	newCfg := postgresHandler(dsn)
	if err := newCfg.Provision(testContext(t)); err != nil {
		t.Fatalf("Provision of the reloaded config: %v", err)
	}
	if got := refs(); got != 2 {
		t.Fatalf("references during the reload = %d, want 2 (one shared pool)", got)
	}
	var jwks [2]string
	for i, h := range []*Handler{oldCfg, newCfg} {
		rec := httptest.NewRecorder()
		if err := h.ServeHTTP(rec, caddyRequest(http.MethodGet, "/.well-known/jwks.json", nil), failNext(t)); err != nil {
			t.Fatal(err)
		}
		if rec.Code != http.StatusOK {
			t.Fatalf("JWKS: %d %s", rec.Code, rec.Body)
		}
		jwks[i] = rec.Body.String()
	}
	if jwks[0] != jwks[1] || !strings.Contains(jwks[0], `"kid"`) {
		t.Errorf("the two configs publish different keys:\n%s\n%s", jwks[0], jwks[1])
	}
	if err := oldCfg.Cleanup(); err != nil {
		t.Fatal(err)
	}
	if err := newCfg.Cleanup(); err != nil {
		t.Fatal(err)
	}
	if got := refs(); got != 0 {
		t.Fatalf("references after the last Cleanup = %d, want 0", got)
	}
}

func TestProvisionFailsPromptlyWithoutEchoingThePasswordWhenPostgresIsUnreachable(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now: connections are refused
	h := postgresHandler("postgres://pinauth:pw-SECRET@" + addr + "/pinauth?sslmode=disable")
	h.Store.ConnectTimeout = 0

	start := time.Now()
	err = h.Provision(testContext(t))
	if err == nil {
		t.Fatal("Provision succeeded without a database")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Provision took %v to fail", d)
	}
	if !strings.Contains(err.Error(), "postgres") || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("error %q should name the backend without echoing the password", err)
	}
	if err := h.Cleanup(); err != nil {
		t.Fatal(err)
	}
}
