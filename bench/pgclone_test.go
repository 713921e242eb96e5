package main

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres"
	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres/pgtest"
)

// TestClonedAccountsAreWhatTheStoreAPIWrites seeds 3000 accounts twice
// with one template and one clock: through seedPostgresAccounts (1000 by
// the store API, 2000 cloned in SQL) and entirely through the store API.
// Every table with a uid column holds the same rows in both (the
// template account's own rows aside), and the store reads a cloned
// account by email and Uid, and its session.
func TestClonedAccountsAreWhatTheStoreAPIWrites(t *testing.T) {
	const n = 3000
	ctx := context.Background()
	fastDSN, apiDSN := pgtest.DSN(t), pgtest.DSN(t)
	open := func(dsn string) store.Store {
		st, err := postgres.Open(ctx, postgres.Config{DSN: dsn, QueryTimeout: 5 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	fast, api := open(fastDSN), open(apiDSN)
	tmpl, err := templateAccount(ctx, fast, testSigningKey(t))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := seedPostgresAccounts(ctx, fast, fastDSN, tmpl, n, now); err != nil {
		t.Fatal(err)
	}
	if err := seedAccounts(ctx, api, tmpl, n, pgSeedWorkers, now); err != nil {
		t.Fatal(err)
	}

	tables := uidTables(t, fastDSN)
	for _, want := range []string{"accounts", "identifiers", "names", "sessions"} {
		if !slices.Contains(tables, want) {
			t.Fatalf("tables with a uid column %v lack %s", tables, want)
		}
	}
	for _, table := range tables {
		got, want := dumpTable(t, fastDSN, table, tmpl.UID), dumpTable(t, apiDSN, table, tmpl.UID)
		if !slices.Equal(got, want) {
			t.Errorf("%s: %d rows seeded fast, %d through the store API, first difference %s",
				table, len(got), len(want), firstDifference(got, want))
		}
	}
	if rows := dumpTable(t, fastDSN, "accounts", tmpl.UID); len(rows) != n {
		t.Fatalf("%d accounts seeded fast, want %d", len(rows), n)
	}
	if rows := dumpTable(t, fastDSN, "sessions", tmpl.UID); len(rows) != n {
		t.Fatalf("%d sessions seeded fast, want %d", len(rows), n)
	}

	for _, i := range []int{pgAPISeeded, 2047, n - 1} {
		a, found, err := fast.AccountBy(ctx, tmpl.Tenant, store.IdentEmail, emailOf(i))
		if err != nil || !found || a.UID != uidOf(i) || a.PasswordHash != tmpl.PasswordHash || a.PINHash != tmpl.PINHash || !a.Active {
			t.Fatalf("account %d by email: found %v, %v, uid %q", i, found, err, a.UID)
		}
		if _, found, err := fast.Account(ctx, tmpl.Tenant, uidOf(i)); err != nil || !found {
			t.Fatalf("account %d by uid: found %v, %v", i, found, err)
		}
		ses, found, err := fast.Session(ctx, sidOf(i))
		if err != nil || !found || ses.UID != uidOf(i) || ses.Tenant != tmpl.Tenant || !ses.ExpiresAt.Equal(now.Add(90*24*time.Hour).Truncate(time.Microsecond)) {
			t.Fatalf("session of account %d: found %v, %v, %+v", i, found, err, ses)
		}
	}
}

// uidTables lists the tables of the database at dsn that have a uid
// column: those that can hold an account's rows.
func uidTables(t *testing.T, dsn string) []string {
	return query(t, dsn, `SELECT table_name::text FROM information_schema.columns
		WHERE table_schema = current_schema() AND column_name = 'uid' ORDER BY 1`)
}

// dumpTable returns table's rows other than account skip's as text,
// sorted.
func dumpTable(t *testing.T, dsn, table, skip string) []string {
	return query(t, dsn, `SELECT r::text FROM `+pgx.Identifier{table}.Sanitize()+
		` AS r WHERE r.uid <> $1 ORDER BY r::text COLLATE "C"`, skip)
}

// query returns the one text column of sql's rows on dsn.
func query(t *testing.T, dsn, sql string, args ...any) []string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rs, err := conn.Query(ctx, sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rs, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// firstDifference shows the first row where a and b differ.
func firstDifference(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return a[i] + " ≠ " + b[i]
		}
	}
	return "(one is a prefix of the other)"
}

// testSigningKey is a fresh Ed25519 key in PKCS #8 PEM, as run makes one.
func testSigningKey(t *testing.T) string {
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}
