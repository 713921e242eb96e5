package caddymodule

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	zapobserver "go.uber.org/zap/zaptest/observer"

	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres/pgtest"
)

// TestOpeningAStoreLogsWhereItIsOnceAndNeverThePassword: an operator
// reading the start-up log learns which SQLite file or which PostgreSQL
// database the gateway uses, and a reload that reuses the open store says
// nothing more.
func TestOpeningAStoreLogsWhereItIsOnceAndNeverThePassword(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "pinauth.db")
		core, logs := zapobserver.New(zapcore.InfoLevel)
		log := zap.New(core)
		for range 2 { // the second acquire is a reload's
			_, key, err := acquireStore(storeSpec{backend: backendSQLite, path: db}, log)
			if err != nil {
				t.Fatal(err)
			}
			defer releaseStore(key)
		}
		opened := logs.FilterMessage("store opened").All()
		if len(opened) != 1 {
			t.Fatalf("%d \"store opened\" lines for one store opened twice, want 1", len(opened))
		}
		if f := opened[0].ContextMap(); f["backend"] != "sqlite" || f["path"] != db {
			t.Fatalf("store opened: %v, want backend sqlite and path %s", f, db)
		}
	})
	t.Run("postgres location", func(t *testing.T) {
		for _, dsn := range []string{
			"postgres://pinauth:pw-SECRET-1@db.internal:6543/accounts?sslmode=disable&application_name=x",
			"host=db.internal port=6543 dbname=accounts user=pinauth password=pw-SECRET-1 sslmode=disable",
		} {
			core, logs := zapobserver.New(zapcore.InfoLevel)
			zap.New(core).Info("store opened", postgresLocation(dsn)...)
			f := logs.All()[0].ContextMap()
			if f["backend"] != "postgres" || f["host"] != "db.internal" || f["port"] != uint16(6543) ||
				f["database"] != "accounts" || f["user"] != "pinauth" {
				t.Errorf("%s: fields %v", dsn, f)
			}
			if strings.Contains(fmt.Sprint(f), "SECRET") {
				t.Errorf("%s: the log repeats the password: %v", dsn, f)
			}
		}
	})
	t.Run("postgres opened", func(t *testing.T) {
		dsn := pgtest.DSN(t)
		core, logs := zapobserver.New(zapcore.InfoLevel)
		_, key, err := acquireStore(storeSpec{backend: backendPostgres, dsn: dsn}, zap.New(core))
		if err != nil {
			t.Fatal(err)
		}
		defer releaseStore(key)
		want, err := pgx.ParseConfig(dsn)
		if err != nil {
			t.Fatal(err)
		}
		opened := logs.FilterMessage("store opened").All()
		if len(opened) != 1 || opened[0].ContextMap()["database"] != want.Database || opened[0].ContextMap()["host"] != want.Host {
			t.Fatalf("store opened lines: %v, want database %s on %s", opened, want.Database, want.Host)
		}
	})
}
