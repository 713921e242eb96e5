package postgres

import (
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/rows"
	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres/pgtest"
	"github.com/pinauth/caddy-pinauth/pinauth/store/storetest"
)

// namesVersion is the migration that made names unique across kinds.
const namesVersion = 3

func TestAccountsThatSharedNamesBeforeTheNamesMigrationAreReportedNotMerged(t *testing.T) {
	storetest.RunLegacyNames(t, func(t *testing.T, before, during []store.Account) store.Store {
		dsn := pgtest.DSN(t)
		pool := newPool(t, dsn)
		if err := migrate(t.Context(), pool, migrations[:namesVersion-1]); err != nil {
			t.Fatal(err)
		}
		writeLegacy(t, dsn, before)
		s := openDSN(t, dsn)
		writeLegacy(t, dsn, during)
		return s
	})
}

// writeLegacy writes accounts the way the releases before the names
// migration did: the account row and its identifiers, unique per kind
// only.
func writeLegacy(t *testing.T, dsn string, accounts []store.Account) {
	t.Helper()
	pool := newPool(t, dsn)
	for _, a := range accounts {
		doc, err := rows.EncodeAccount(&a)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(t.Context(), `INSERT INTO accounts (tenant, uid, version, doc) VALUES ($1, $2, 1, $3)`, a.Tenant, a.UID, doc); err != nil {
			t.Fatal(err)
		}
		for _, id := range a.Identifiers() {
			if _, err := pool.Exec(t.Context(), `INSERT INTO identifiers (tenant, kind, value, uid) VALUES ($1, $2, $3, $4)`,
				a.Tenant, string(id.Kind), id.Value, a.UID); err != nil {
				t.Fatal(err)
			}
		}
	}
}
