// Package pgtest gives tests a PostgreSQL database of their own: created
// empty with a unique name, dropped when the test ends. Tests that use it
// are skipped, with a message saying how to run them, unless
// PINAUTH_TEST_POSTGRES_DSN names a server where they may create databases.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN names the environment variable holding the DSN of the test
// server, e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
const EnvDSN = "PINAUTH_TEST_POSTGRES_DSN"

// DSN creates an empty database for t and returns its DSN. The database is
// dropped (connections still open to it are terminated) when t and its
// subtests have finished, after cleanups registered later, such as closing
// a store, have run.
func DSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvDSN)
	if base == "" {
		t.Skipf("PostgreSQL tests skipped: set %s to a server where tests may create databases, e.g. "+
			"%s='postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable' go test ./...", EnvDSN, EnvDSN)
	}
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
		t.Fatalf("pgtest: %s: %v", EnvDSN, err)
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
		t.Fatalf("pgtest: connect to %s: %v", EnvDSN, err)
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
