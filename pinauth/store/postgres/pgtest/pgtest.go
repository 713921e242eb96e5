// Package pgtest gives tests a PostgreSQL database of their own: created
// empty with a unique name, dropped when the test ends. The server is the
// one PINAUTH_TEST_POSTGRES_DSN names or, without it, the local default
// (DefaultDSN) when it answers; with neither, the tests are skipped and
// Run prints one line saying which and why.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN names the environment variable holding the DSN of the test
// server, e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
// When it is set, a server that does not answer fails the tests (CI sets
// it, so a broken PostgreSQL can never turn into skipped suites).
const EnvDSN = "PINAUTH_TEST_POSTGRES_DSN"

// DefaultDSN is the server tried when EnvDSN is not set: PostgreSQL on its
// default local address as Debian installs it, user postgres with trust
// authentication.
const DefaultDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// defaultDSN is DefaultDSN, but for pgtest's own test of a server that
// does not answer.
var defaultDSN = DefaultDSN

// probeTimeout bounds the one attempt to reach DefaultDSN.
const probeTimeout = 3 * time.Second

// server is the test server, found once per test binary.
var server struct {
	once   sync.Once
	dsn    string // "" when there is none
	reason string // why there is none
}

// serverDSN returns the test server's DSN: EnvDSN's value, else
// DefaultDSN if a connection to it succeeds, else "" and the reason.
func serverDSN() (string, string) {
	server.once.Do(func() {
		if v := os.Getenv(EnvDSN); v != "" {
			server.dsn = v
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
		defer cancel()
		conn, err := pgx.Connect(ctx, defaultDSN)
		if err != nil {
			server.reason = "no PostgreSQL answers as user postgres on 127.0.0.1:5432 (" + firstLine(err.Error()) + ")"
			return
		}
		conn.Close(ctx)
		server.dsn = defaultDSN
	})
	return server.dsn, server.reason
}

// ServerDSN returns the DSN of the test server itself (its postgres
// database), for tests that administer it; t is skipped without one.
func ServerDSN(t testing.TB) string {
	t.Helper()
	base, reason := serverDSN()
	if base == "" {
		skip(t, reason)
	}
	return base
}

// DSN creates an empty database for t and returns its DSN. The database is
// dropped (connections still open to it are terminated) when t and its
// subtests have finished, after cleanups registered later, such as closing
// a store, have run.
func DSN(t testing.TB) string {
	t.Helper()
	base := ServerDSN(t)
	name := "pinauth_test_" + randomHex(8)
	admin(t, base, func(ctx context.Context, conn *pgx.Conn) error {
		// template0 accepts no connections, so concurrent copies of it
		// (parallel tests, other test processes) never collide.
		_, err := conn.Exec(ctx, `CREATE DATABASE `+name+` TEMPLATE template0`)
		return err
	})
	t.Cleanup(func() {
		admin(t, base, func(ctx context.Context, conn *pgx.Conn) error {
			_, err := conn.Exec(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
			return err
		})
	})
	dsn, err := withDatabase(base, name)
	if err != nil {
		t.Fatalf("pgtest: the test server's DSN: %v", err)
	}
	return dsn
}

// admin runs fn on a connection to the server's own database.
func admin(t testing.TB, base string, fn func(ctx context.Context, conn *pgx.Conn) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("pgtest: connect to the test server: %v", err)
	}
	defer conn.Close(context.Background())
	if err := fn(ctx, conn); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
}

// withDatabase returns base with its database replaced by name.
func withDatabase(base, name string) (string, error) {
	if strings.HasPrefix(base, "postgres://") || strings.HasPrefix(base, "postgresql://") {
		u, err := url.Parse(base)
		if err != nil {
			return "", err
		}
		u.Path = "/" + name
		return u.String(), nil
	}
	// key=value form: a later keyword wins.
	return base + " dbname=" + name, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// firstLine is the first line of s.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
