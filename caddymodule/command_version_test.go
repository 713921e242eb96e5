package caddymodule

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/jackc/pgx/v5"

	"github.com/pinauth/caddy-pinauth/pinauth"
	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres"
	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres/pgtest"
	"github.com/pinauth/caddy-pinauth/pinauth/store/sqlite"
)

// versionConfig writes a Caddyfile whose pin_auth block uses storeLine.
func versionConfig(t *testing.T, storeLine string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "Caddyfile")
	conf := ":0 {\n\tpin_auth {\n\t\ttenant demo {\n\t\t\tapi_key k\n\t\t\tapi_secret s\n\t\t}\n\t\t" + storeLine +
		"\n\t\tpepper version-test-pepper-0123456789\n\t}\n}\n"
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPinauthVersionPrintsModuleCaddyAndTheSQLiteSchemaWithoutMigrating(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pinauth.db")
	conf := versionConfig(t, "store sqlite "+db)

	// No file yet: the command says so and creates none.
	out, err := runPinauth(t, "version", "--config", conf, "--adapter", "caddyfile")
	if st, msg := cliExitStatus(err); st != exitFailure || !strings.Contains(msg, "no such file") {
		t.Errorf("version on a missing file: status %d %q, want 1 naming the missing file", st, msg)
	}
	if _, err := os.Stat(db); err == nil {
		t.Fatal("version created the store file")
	}
	_, full := caddy.Version()
	if !strings.Contains(out, "caddy-pinauth "+pinauth.Version+"\n") || !strings.Contains(out, "caddy "+full+"\n") {
		t.Errorf("output %q lacks the module and Caddy versions", out)
	}

	// An older file (version 1 of the schema) is reported as it is, not
	// migrated by looking at it.
	st, err := sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	setSQLiteSchemaVersion(t, db, 1)
	out, err = runPinauth(t, "version", "--config", conf, "--adapter", "caddyfile")
	if err != nil {
		t.Fatalf("version: %v\n%s", err, out)
	}
	want := fmt.Sprintf("store sqlite %s: schema version 1 (this build: %d)\n", db, sqlite.SchemaVersion())
	if !strings.Contains(out, want) {
		t.Errorf("output %q lacks %q", out, want)
	}
	if v, err := sqlite.StoredSchemaVersion(t.Context(), db); err != nil || v != 1 {
		t.Errorf("after version the file is at schema %d (%v), want 1: version must not migrate", v, err)
	}

	// A newer file fails the command, naming both versions.
	future := sqlite.SchemaVersion() + 1
	setSQLiteSchemaVersion(t, db, future)
	var stdout bytes.Buffer
	err = pinauthRoot(t, nil, &stdout, io.Discard, "version", "--store", "sqlite:"+db, "--json").Execute()
	out = stdout.String()
	st2, msg := cliExitStatus(err)
	if st2 != exitFailure || !strings.Contains(msg, fmt.Sprintf("schema version %d is newer than this build's %d", future, sqlite.SchemaVersion())) {
		t.Errorf("version on a newer file: status %d %q, want 1 naming both versions", st2, msg)
	}
	var info versionInfo
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("--json output %q: %v", out, err)
	}
	if info.Module != pinauth.Version || info.Caddy != full || len(info.Stores) != 1 ||
		info.Stores[0].Schema != future || info.Stores[0].Build != sqlite.SchemaVersion() {
		t.Errorf("--json = %+v", info)
	}
}

// setSQLiteSchemaVersion rewrites the file's recorded schema history to
// end at v, as an older or newer build would have left it.
func setSQLiteSchemaVersion(t *testing.T, path string, v int) {
	t.Helper()
	// The store's own connection would migrate; a bare one does not.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`DELETE FROM schema_migrations WHERE version > ?`, v); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT OR IGNORE INTO schema_migrations (version, applied_at) VALUES (?, 0)`, v); err != nil {
		t.Fatal(err)
	}
}

func TestPinauthVersionPrintsThePostgresSchemaWithoutMigrating(t *testing.T) {
	dsn := pgtest.DSN(t)
	t.Setenv("VERSION_TEST_DSN", dsn)
	conf := versionConfig(t, "store postgres {env.VERSION_TEST_DSN}")

	// An empty database is at version 0 and stays empty.
	out, err := runPinauth(t, "version", "--config", conf, "--adapter", "caddyfile")
	if err != nil {
		t.Fatalf("version: %v\n%s", err, out)
	}
	if !regexp.MustCompile(fmt.Sprintf(`(?m)^store postgres pinauth_test_\w+ on [^:]+:\d+: schema version 0 \(this build: %d\)$`, postgres.SchemaVersion())).MatchString(out) {
		t.Errorf("output %q lacks the empty database's schema line", out)
	}
	if v, err := postgres.StoredSchemaVersion(t.Context(), postgres.Config{DSN: dsn}); err != nil || v != 0 {
		t.Errorf("after version the database is at schema %d (%v), want 0: version must not migrate", v, err)
	}

	st, err := postgres.Open(t.Context(), postgres.Config{DSN: dsn, MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	out, err = runPinauth(t, "version", "--store", "postgres:{env.VERSION_TEST_DSN}")
	if err != nil || !strings.Contains(out, fmt.Sprintf(": schema version %d (this build: %d)\n", postgres.SchemaVersion(), postgres.SchemaVersion())) {
		t.Errorf("version after a gateway migrated: %v\n%s", err, out)
	}

	future := postgres.SchemaVersion() + 1
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), `INSERT INTO schema_migrations (version) VALUES ($1)`, future); err != nil {
		t.Fatal(err)
	}
	_, err = runPinauth(t, "version", "--store", "postgres:{env.VERSION_TEST_DSN}")
	if st, msg := cliExitStatus(err); st != exitFailure ||
		!strings.Contains(msg, fmt.Sprintf("schema version %d is newer than this build's %d", future, postgres.SchemaVersion())) ||
		strings.Contains(msg, dsn) {
		t.Errorf("version on a newer database: status %d %q, want 1 naming both versions and not the DSN", st, msg)
	}
}

func TestPinauthVersionWithoutAConfigPrintsTheBuildsVersions(t *testing.T) {
	t.Chdir(t.TempDir())
	out, err := runPinauth(t, "version")
	if err != nil {
		t.Fatalf("version: %v", err)
	}
	_, full := caddy.Version()
	if want := "caddy-pinauth " + pinauth.Version + "\ncaddy " + full + "\n"; out != want {
		t.Errorf("output %q, want %q", out, want)
	}
}

// TestChangelogNamesTheSchemaVersionsOfItsNewestRelease keeps the upgrade
// notes honest: the newest entry of CHANGELOG.md (this build's version, or
// the Unreleased changes since it) says which schema versions the build
// migrates to.
func TestChangelogNamesTheSchemaVersionsOfItsNewestRelease(t *testing.T) {
	b, err := os.ReadFile("../CHANGELOG.md")
	if err != nil {
		t.Fatal(err)
	}
	_, entry, _ := strings.Cut(string(b), "\n## ")
	heading, _, _ := strings.Cut(entry, "\n")
	entry, _, _ = strings.Cut(entry, "\n## ")
	if heading != "Unreleased" && !strings.HasPrefix(heading, pinauth.Version+" ") {
		t.Errorf("CHANGELOG.md's newest entry is %q, want Unreleased or this build's %s", heading, pinauth.Version)
	}
	want := fmt.Sprintf("Store schema: SQLite version %d, PostgreSQL version %d.", sqlite.SchemaVersion(), postgres.SchemaVersion())
	if !strings.Contains(entry, want) {
		t.Errorf("CHANGELOG.md's %s entry does not say %q", heading, want)
	}
}
