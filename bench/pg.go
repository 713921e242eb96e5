package main

import (
	"context"
	"fmt"
	"log"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres"
)

// envPostgresDSN names a PostgreSQL server where the bench may create its
// databases (the tests' variable): with it, every account-count scenario
// also runs on PostgreSQL.
const envPostgresDSN = "PINAUTH_TEST_POSTGRES_DSN"

// pgSeedWorkers write batches in parallel: PostgreSQL takes concurrent
// writers, and one batch at a time would spend most of its time waiting
// for round trips.
const pgSeedWorkers = 4

// pgDatabaseDSN returns base with its database replaced by name.
func pgDatabaseDSN(base, name string) (string, error) {
	if strings.HasPrefix(base, "postgres://") || strings.HasPrefix(base, "postgresql://") {
		u, err := url.Parse(base)
		if err != nil {
			return "", fmt.Errorf("%s is not a valid URL", envPostgresDSN)
		}
		u.Path = "/" + name
		return u.String(), nil
	}
	return base + " dbname=" + name, nil
}

// pgAdmin runs sql on the server's own database.
func pgAdmin(ctx context.Context, base, sql string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", envPostgresDSN, err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// seedPostgres makes the database name on the server of base hold n seeded
// accounts, reusing it (reused true) when a finished seeding of n is
// there, and returns its DSN.
func seedPostgres(ctx context.Context, base, name string, n int, signingKeyPEM string) (dsn string, reused bool, err error) {
	if dsn, err = pgDatabaseDSN(base, name); err != nil {
		return "", false, err
	}
	if st, err := postgres.Open(ctx, postgres.Config{DSN: dsn}); err == nil {
		done := seeded(ctx, st, n)
		st.Close()
		if done {
			log.Printf("seed: reusing PostgreSQL database %s (%d accounts)", name, n)
			return dsn, true, nil
		}
	}
	if err := dropPostgres(ctx, base, name); err != nil {
		return "", false, err
	}
	// template0 accepts no connections, so a copy of it never collides
	// with someone else's session.
	if err := pgAdmin(ctx, base, "CREATE DATABASE "+name+" TEMPLATE template0"); err != nil {
		return "", false, fmt.Errorf("create database %s: %w", name, err)
	}
	// A batch is one transaction, which the default query timeout (5s)
	// would cut short.
	st, err := postgres.Open(ctx, postgres.Config{DSN: dsn, QueryTimeout: 5 * time.Minute})
	if err != nil {
		return "", false, err
	}
	defer st.Close()
	return dsn, false, seedStore(ctx, st, "PostgreSQL database "+name, n, signingKeyPEM, func(tmpl store.Account, now time.Time) error {
		return seedPostgresAccounts(ctx, st, dsn, tmpl, n, now)
	})
}

// dropPostgres removes a bench database, closing connections still open.
func dropPostgres(ctx context.Context, base, name string) error {
	if err := pgAdmin(ctx, base, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}
