package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/storetest"
)

func openTemp(t testing.TB) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pinauth.db")
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, path
}

func TestSQLiteStoreConformsToTheStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, _ := openTemp(t)
		return s
	})
}

// openTwo opens two Stores on one new file. They stand for two processes:
// their writes meet in SQLite's file lock, not in the write connection of
// one Store.
func openTwo(t testing.TB) [2]*Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pinauth.db")
	var stores [2]*Store
	for i := range stores {
		s, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	return stores
}

func TestTwoStoresOnOneFileKeepTheSharedContract(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) (store.Store, store.Store) {
		s := openTwo(t)
		return s[0], s[1]
	})
}

var (
	t0    = time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)
	alice = store.Account{Tenant: "acme", UID: "u1", Username: "alice",
		Emails: []store.Email{{Type: "Primary", Value: "alice@example.com"}}}
)

func create(t testing.TB, s *Store, a store.Account) {
	t.Helper()
	if err := s.Update(context.Background(), func(tx store.Tx) error { return tx.CreateAccount(a) }); err != nil {
		t.Fatal(err)
	}
}

func TestOpenCreatesAPrivateFileAndParentDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "dir", "pinauth.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("store file mode = %v, want 0600", mode)
	}
	var mode string
	if err := s.r.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, err %v; want wal", mode, err)
	}
	var fk int
	if err := s.w.QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d, err %v; want 1", fk, err)
	}
}

func TestOpenRefusesPathsThatAreNotFiles(t *testing.T) {
	for _, p := range []string{"", ":memory:", filepath.Join(t.TempDir(), "a?mode=memory")} {
		if s, err := Open(p); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", p)
		}
	}
}

func TestDataSurvivesCloseAndReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pinauth.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	create(t, s, alice)
	if err := s.SetMeta(context.Background(), "pepper_check", "v1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	a, found, err := s.AccountBy(context.Background(), "acme", store.IdentEmail, "ALICE@example.com")
	if err != nil || !found || a.UID != "u1" || a.Version != 1 {
		t.Fatalf("after reopen AccountBy = %+v, found %v, err %v", a, found, err)
	}
	if v, found, err := s.Meta(context.Background(), "pepper_check"); v != "v1" || !found || err != nil {
		t.Errorf("after reopen Meta = %q, %v, %v", v, found, err)
	}
	if v := versionOf(t, path); v != migrations[len(migrations)-1].version {
		t.Errorf("schema version = %d, want %d", v, migrations[len(migrations)-1].version)
	}
}

// versionOf reads the schema version with a plain connection.
func versionOf(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v, err := schemaVersion(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestOpenRefusesAFileFromANewerSchema(t *testing.T) {
	s, path := openTemp(t)
	create(t, s, alice)
	s.Close()

	// A newer pinauth applied a migration this build does not know.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	future := migrations[len(migrations)-1].version + 1
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)`, future); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err = Open(path)
	if err == nil {
		s.Close()
		t.Fatal("Open of a file from a newer schema succeeded")
	}
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Errorf("err = %v, want ErrSchemaTooNew", err)
	}
	if msg := err.Error(); !strings.Contains(msg, fmt.Sprint(future)) || !strings.Contains(msg, fmt.Sprint(future-1)) {
		t.Errorf("error %q does not name both versions", msg)
	}
	if v := versionOf(t, path); v != future {
		t.Errorf("refused Open changed the schema version to %d", v)
	}
}

func TestAnOlderFileIsMigratedInPlaceKeepingItsData(t *testing.T) {
	s, path := openTemp(t)
	create(t, s, alice)
	s.Close()

	next := migrations[len(migrations)-1].version + 1
	added := append(migrations[:len(migrations):len(migrations)],
		migration{next, `ALTER TABLE accounts ADD COLUMN note TEXT NOT NULL DEFAULT 'migrated'`})
	s, err := open(path, added)
	if err != nil {
		t.Fatalf("open with a new migration: %v", err)
	}
	defer s.Close()
	if v := versionOf(t, path); v != next {
		t.Errorf("schema version = %d, want %d", v, next)
	}
	var note string
	if err := s.r.QueryRow(`SELECT note FROM accounts WHERE uid = 'u1'`).Scan(&note); err != nil || note != "migrated" {
		t.Errorf("migrated column = %q, err %v", note, err)
	}
	if _, found, err := s.AccountBy(context.Background(), "acme", store.IdentUsername, "alice"); !found || err != nil {
		t.Errorf("account after migration: found %v, err %v", found, err)
	}
}

func TestAFailingMigrationLeavesTheFileAtTheLastGoodVersion(t *testing.T) {
	s, path := openTemp(t)
	create(t, s, alice)
	s.Close()

	last := migrations[len(migrations)-1].version
	broken := append(migrations[:len(migrations):len(migrations)],
		migration{last + 1, `CREATE TABLE extra (x INTEGER)`},
		migration{last + 2, `CREATE TABLE half (x INTEGER); THIS IS NOT SQL`})
	if s, err := open(path, broken); err == nil {
		s.Close()
		t.Fatal("open with a broken migration succeeded")
	}
	if v := versionOf(t, path); v != last+1 {
		t.Errorf("schema version = %d, want %d (the good migration applied, the broken one not)", v, last+1)
	}
	s, err := open(path, broken[:len(broken)-1])
	if err != nil {
		t.Fatalf("reopen without the broken migration: %v", err)
	}
	defer s.Close()
	var n int
	if err := s.r.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name = 'half'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the broken migration's first statement was kept (%d tables named half, err %v)", n, err)
	}
	if _, found, _ := s.Account(context.Background(), "acme", "u1"); !found {
		t.Error("the account was lost")
	}
}

func TestReadersNeverSeeBusyUnderWriteLoad(t *testing.T) {
	stores := openTwo(t)
	create(t, stores[0], alice)

	const writers, writes, readers = 4, 50, 4
	writeErrs := make(chan error, writers*writes)
	readErrs := make(chan error, readers)
	stop := make(chan struct{})
	writersDone := make(chan struct{})
	readsDone := make(chan int, readers)
	for w := range writers {
		go func() {
			defer func() { writersDone <- struct{}{} }()
			for i := range writes {
				ref := store.AccountRef{Tenant: "acme", UID: fmt.Sprintf("w%d-%d", w, i)}
				_, err := stores[w%2].ReserveAttempt(context.Background(), ref, store.AttemptPolicy{Limit: 5, Window: time.Hour}, t0)
				if err != nil {
					writeErrs <- err
				}
			}
		}()
	}
	for r := range readers {
		go func() {
			reads := 0
			defer func() { readsDone <- reads }()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, found, err := stores[r%2].Account(context.Background(), "acme", "u1"); err != nil || !found {
					readErrs <- fmt.Errorf("read: found %v, err %v", found, err)
					return
				}
				reads++
			}
		}()
	}
	for range writers {
		<-writersDone
	}
	close(stop)
	total := 0
	for range readers {
		total += <-readsDone
	}
	close(writeErrs)
	close(readErrs)
	for err := range writeErrs {
		t.Errorf("write: %v", err)
	}
	for err := range readErrs {
		t.Errorf("%v", err)
	}
	if total == 0 {
		t.Error("no read completed while the writers ran")
	}
}

func TestATxRefusesUseAfterUpdateReturned(t *testing.T) {
	s, _ := openTemp(t)
	var kept store.Tx
	if err := s.Update(context.Background(), func(tx store.Tx) error { kept = tx; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := kept.CreateAccount(alice); err == nil {
		t.Error("CreateAccount on a finished Tx succeeded")
	}
	if _, found, _ := s.Account(context.Background(), "acme", "u1"); found {
		t.Error("a write through a finished Tx was stored")
	}
}

// Existing files hold account documents as TEXT; a document written as a
// BLOB would read back the same here but not in tools that query the file.
func TestAccountDocumentsAreStoredAsText(t *testing.T) {
	s, _ := openTemp(t)
	create(t, s, alice)
	a := alice
	a.Version = 1
	a.Username = "alice2"
	if err := s.Update(context.Background(), func(tx store.Tx) error { _, err := tx.SaveAccount(a); return err }); err != nil {
		t.Fatal(err)
	}
	var kind, doc string
	if err := s.r.QueryRow(`SELECT typeof(doc), doc FROM accounts WHERE uid = 'u1'`).Scan(&kind, &doc); err != nil {
		t.Fatal(err)
	}
	if kind != "text" || !strings.Contains(doc, `"username":"alice2"`) {
		t.Errorf("stored doc is %s %s, want the saved document as text", kind, doc)
	}
}

// The statements shared with PostgreSQL number their placeholders ($1,
// $2 …) and may use one twice or out of order; the driver must bind $N to
// the N-th argument wherever it stands.
func TestNumberedPlaceholdersBindTheirArgumentWhereverTheyStand(t *testing.T) {
	s, _ := openTemp(t)
	var a, b, c, d string
	if err := s.r.QueryRow(`SELECT $2, $1, $2, $3`, "one", "two", "three").Scan(&a, &b, &c, &d); err != nil {
		t.Fatal(err)
	}
	if a != "two" || b != "one" || c != "two" || d != "three" {
		t.Errorf("SELECT $2, $1, $2, $3 of (one, two, three) = %s, %s, %s, %s", a, b, c, d)
	}
}

func TestTheJournalPrunesRowsPastTheRetentionAndKeepsRecentRevocations(t *testing.T) {
	s, path := openTemp(t)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	storetest.RunJournalPruning(t, s, storetest.JournalRows{
		Insert: func(t *testing.T, at time.Time, tenant, uid, session string) {
			if _, err := db.Exec(`INSERT INTO changes (at, tenant, uid, session) VALUES (?, ?, ?, ?)`,
				micro(at), tenant, uid, session); err != nil {
				t.Fatal(err)
			}
		},
		Count: func(t *testing.T) int {
			var n int
			if err := db.QueryRow(`SELECT count(*) FROM changes`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		},
	})
}
