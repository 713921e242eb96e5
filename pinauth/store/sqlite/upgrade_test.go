package sqlite

import (
	"regexp"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/storetest"
)

// nextRelease stands for a newer build's first migration: it extends every
// table the way the migration rule allows (a nullable column, a column
// with a default, an index) and adds a table.
var nextRelease = migration{
	version: migrations[len(migrations)-1].version + 1,
	sql: func() string {
		var b strings.Builder
		for _, table := range []string{"accounts", "identifiers", "tokens", "sessions", "attempts", "signing_keys", "meta", "events", "quotas"} {
			b.WriteString("ALTER TABLE " + table + " ADD COLUMN next_note TEXT;\n")
			b.WriteString("ALTER TABLE " + table + " ADD COLUMN next_flag INTEGER NOT NULL DEFAULT 7;\n")
			b.WriteString("CREATE INDEX " + table + "_next_flag ON " + table + " (next_flag);\n")
		}
		b.WriteString("CREATE TABLE next_things (id TEXT PRIMARY KEY, body TEXT NOT NULL) WITHOUT ROWID;\n")
		return b.String()
	}(),
}

// TestARunningStoreKeepsItsContractAfterANewerBuildExtendsTheSchema is the
// first half of the rolling-upgrade rule (docs/operator-guide.md,
// Upgrades): a node of this release that is already running keeps working
// when a node of the next release migrates the file under it. Every
// contract check runs on a store opened before the newer build migrated.
func TestARunningStoreKeepsItsContractAfterANewerBuildExtendsTheSchema(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, path := openTemp(t)
		storetest.Warm(t, s)
		newer, err := open(path, append(migrations[:len(migrations):len(migrations)], nextRelease))
		if err != nil {
			t.Fatalf("the newer build's open: %v", err)
		}
		newer.Close()
		if v := versionOf(t, path); v != nextRelease.version {
			t.Fatalf("schema version after the newer build = %d, want %d", v, nextRelease.version)
		}
		return s
	})
}

// TestMigrationsOnlyAdd holds the migrations to the rule that makes the
// roll safe: each statement creates a table or an index, or adds a column
// that is nullable or has a default, or fills a table the same migration
// creates. Anything else (DROP, RENAME, a NOT
// NULL column without a default, a rewrite of rows) would break nodes of
// the previous release still running.
func TestMigrationsOnlyAdd(t *testing.T) {
	allowed := []*regexp.Regexp{
		regexp.MustCompile(`(?is)^CREATE TABLE \w+ \(.*\)( WITHOUT ROWID)?$`),
		regexp.MustCompile(`(?is)^CREATE (UNIQUE )?INDEX \w+ ON \w+ \([\w, ]+\)$`),
		regexp.MustCompile(`(?is)^ALTER TABLE \w+ ADD COLUMN \w+ \w+( NOT NULL DEFAULT \S+)?$`),
	}
	// Filling a table that the same migration creates, from rows that
	// exist, changes nothing a running older node reads or writes.
	creates := regexp.MustCompile(`(?i)^CREATE TABLE (\w+) `)
	fills := regexp.MustCompile(`(?is)^INSERT (OR IGNORE )?INTO (\w+) \([\w, ]+\) SELECT .*$`)
	comment := regexp.MustCompile(`--[^\n]*`)
	for _, m := range append(migrations[1:len(migrations):len(migrations)], nextRelease) {
		created := map[string]bool{}
		for _, stmt := range strings.Split(comment.ReplaceAllString(m.sql, ""), ";") {
			stmt = strings.Join(strings.Fields(stmt), " ")
			if stmt == "" {
				continue
			}
			if c := creates.FindStringSubmatch(stmt); c != nil {
				created[strings.ToLower(c[1])] = true
			}
			f := fills.FindStringSubmatch(stmt)
			ok := f != nil && created[strings.ToLower(f[2])]
			for _, re := range allowed {
				ok = ok || re.MatchString(stmt)
			}
			if !ok {
				t.Errorf("migration %d: %q neither creates a table or index nor adds a nullable or defaulted column", m.version, stmt)
			}
		}
	}
}
