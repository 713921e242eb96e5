package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/rows"
	"github.com/pinauth/caddy-pinauth/pinauth/store/storetest"
)

// namesVersion is the migration that made names unique across kinds.
const namesVersion = 4

func TestAccountsThatSharedNamesBeforeTheNamesMigrationAreReportedNotMerged(t *testing.T) {
	storetest.RunLegacyNames(t, func(t *testing.T, before, during []store.Account) store.Store {
		path := filepath.Join(t.TempDir(), "pinauth.db")
		writeLegacy(t, path, migrations[:namesVersion-1], before)
		s, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		writeLegacy(t, path, nil, during)
		return s
	})
}

// writeLegacy writes accounts into the file at path the way the releases
// before the names migration did (the account row and its identifiers,
// unique per kind only), after migrating it through ms.
func writeLegacy(t *testing.T, path string, ms []migration, accounts []store.Account) {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if ms != nil {
		if err := migrate(ctx, db, ms); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range accounts {
		doc, err := rows.EncodeAccount(&a)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO accounts (tenant, uid, version, doc) VALUES (?, ?, 1, ?)`, a.Tenant, a.UID, string(doc)); err != nil {
			t.Fatal(err)
		}
		for _, id := range a.Identifiers() {
			if _, err := db.ExecContext(ctx, `INSERT INTO identifiers (tenant, kind, value, uid) VALUES (?, ?, ?, ?)`,
				a.Tenant, string(id.Kind), id.Value, a.UID); err != nil {
				t.Fatal(err)
			}
		}
	}
}
