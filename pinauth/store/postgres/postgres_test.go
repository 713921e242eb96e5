package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres/pgtest"
	"github.com/pinauth/caddy-pinauth/pinauth/store/storetest"
)

// testMaxConns keeps each test's pool small: the suite's tests run in
// parallel against one server beside other packages' tests.
const testMaxConns = 4

// openDSN opens a store on dsn, closed when the test ends.
func openDSN(t testing.TB, dsn string) *Store {
	t.Helper()
	s, err := Open(t.Context(), Config{DSN: dsn, MaxConns: testMaxConns})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openFresh opens a store on a database of its own and returns both.
func openFresh(t testing.TB) (*Store, string) {
	t.Helper()
	dsn := pgtest.DSN(t)
	return openDSN(t, dsn), dsn
}

func TestPostgresStoreConformsToTheStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, _ := openFresh(t)
		return s
	})
}

func TestTwoNodesOnOneDatabaseKeepTheSharedContract(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) (store.Store, store.Store) {
		a, dsn := openFresh(t)
		return a, openDSN(t, dsn)
	})
}

var alice = store.Account{Tenant: "acme", UID: "u1", Username: "alice",
	Emails: []store.Email{{Type: "Primary", Value: "alice@example.com"}}}

func create(t testing.TB, s store.Store, a store.Account) {
	t.Helper()
	if err := s.Update(context.Background(), func(tx store.Tx) error { return tx.CreateAccount(a) }); err != nil {
		t.Fatal(err)
	}
}

// sql runs one statement on its own connection to dsn.
func sql(t testing.TB, dsn, query string, args ...any) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func schemaVersion(t testing.TB, dsn string) (version, rows int) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if err := conn.QueryRow(t.Context(), `SELECT COALESCE(MAX(version), 0), COUNT(*) FROM schema_migrations`).Scan(&version, &rows); err != nil {
		t.Fatal(err)
	}
	return version, rows
}

func TestNodesOpeningAnEmptyDatabaseTogetherAllSucceedWithOneSchema(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	const nodes = 4
	errs := make([]error, nodes)
	stores := make([]*Store, nodes)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range nodes {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = Open(t.Context(), Config{DSN: dsn, MaxConns: 2})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: Open: %v", i, err)
		}
		defer stores[i].Close()
	}
	last := migrations[len(migrations)-1].version
	if v, n := schemaVersion(t, dsn); v != last || n != len(migrations) {
		t.Errorf("schema_migrations has version %d in %d rows, want %d in %d", v, n, last, len(migrations))
	}
	// Every node works on the one schema.
	create(t, stores[0], alice)
	for i, s := range stores {
		if _, found, err := s.AccountBy(t.Context(), "acme", store.IdentEmail, "ALICE@example.com"); !found || err != nil {
			t.Errorf("node %d: AccountBy = found %v, err %v", i, found, err)
		}
	}
}

func TestOpenRefusesADatabaseFromANewerSchema(t *testing.T) {
	t.Parallel()
	s, dsn := openFresh(t)
	create(t, s, alice)
	s.Close()
	future := migrations[len(migrations)-1].version + 1
	sql(t, dsn, `INSERT INTO schema_migrations (version) VALUES ($1)`, future)

	s2, err := Open(t.Context(), Config{DSN: dsn, MaxConns: 2})
	if err == nil {
		s2.Close()
		t.Fatal("Open of a database from a newer schema succeeded")
	}
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Errorf("err = %v, want ErrSchemaTooNew", err)
	}
	if msg := err.Error(); !strings.Contains(msg, fmt.Sprint(future)) || !strings.Contains(msg, fmt.Sprint(future-1)) {
		t.Errorf("error %q does not name both versions", msg)
	}
}

func TestAnOlderDatabaseIsMigratedInPlaceAndAFailingStepKeepsTheLastGoodVersion(t *testing.T) {
	t.Parallel()
	s, dsn := openFresh(t)
	create(t, s, alice)
	s.Close()

	last := migrations[len(migrations)-1].version
	steps := append(migrations[:len(migrations):len(migrations)],
		migration{last + 1, `ALTER TABLE accounts ADD COLUMN note text NOT NULL DEFAULT 'migrated'`},
		migration{last + 2, `CREATE TABLE half (x integer); THIS IS NOT SQL`})
	pool := newPool(t, dsn)
	if err := migrate(t.Context(), pool, steps); err == nil {
		t.Fatal("a broken migration succeeded")
	}
	if v, _ := schemaVersion(t, dsn); v != last+1 {
		t.Errorf("schema version = %d, want %d (the good step applied, the broken one not)", v, last+1)
	}
	var note string
	var half bool
	if err := pool.QueryRow(t.Context(), `SELECT note, to_regclass('half') IS NOT NULL FROM accounts WHERE uid = 'u1'`).Scan(&note, &half); err != nil {
		t.Fatal(err)
	}
	if note != "migrated" || half {
		t.Errorf("after migrating: note %q, table of the broken step exists %v; want migrated, false", note, half)
	}
	// A build that knows only the good step opens it.
	s, err := newStore(Config{DSN: dsn, MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := migrate(t.Context(), s.pool, steps[:len(steps)-1]); err != nil {
		t.Fatalf("migrate with the good steps only: %v", err)
	}
	if _, found, err := s.Account(t.Context(), "acme", "u1"); !found || err != nil {
		t.Errorf("account after migration: found %v, err %v", found, err)
	}
}

// collect subscribes to s and returns the channel of what it receives.
func collect(t *testing.T, s store.Store) <-chan store.Invalidation {
	ch := make(chan store.Invalidation, 100)
	s.Subscribe(t.Context(), func(inv store.Invalidation) {
		select {
		case ch <- inv:
		default:
		}
	})
	return ch
}

// await returns the first invalidation ok accepts, failing after 10s.
func await(t *testing.T, ch <-chan store.Invalidation, what string, ok func(store.Invalidation) bool) time.Time {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		select {
		case inv := <-ch:
			if ok(inv) {
				return time.Now()
			}
		case <-deadline.C:
			t.Fatalf("%s: not received within 10s", what)
		}
	}
}

func isAccount(uid string) func(store.Invalidation) bool {
	return func(inv store.Invalidation) bool { return inv.Account.UID == uid }
}

func isReset(inv store.Invalidation) bool { return inv.Reset }

func TestAChangeOnOneNodeIsAnnouncedToAnother(t *testing.T) {
	t.Parallel()
	a, dsn := openFresh(t)
	b := openDSN(t, dsn)
	create(t, a, alice)
	got := collect(t, b)

	sessions := make([]string, 400) // more than one payload can carry
	for i := range sessions {
		sessions[i] = fmt.Sprintf("session-%04d-%s", i, strings.Repeat("x", 24))
	}
	if err := a.Update(t.Context(), func(tx store.Tx) error {
		for _, id := range sessions {
			if err := tx.CreateSession(store.Session{ID: id, Tenant: "acme", UID: "u1", CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var revoked []string
	if err := a.Update(t.Context(), func(tx store.Tx) error {
		var err error
		revoked, err = tx.RevokeSessions(alice.Ref(), "", time.Now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(revoked) != len(sessions) {
		t.Fatalf("RevokeSessions revoked %d, want %d", len(revoked), len(sessions))
	}
	heard := map[string]bool{}
	at := await(t, got, "every revoked session", func(inv store.Invalidation) bool {
		for _, id := range inv.Sessions {
			heard[id] = true
		}
		return len(heard) == len(sessions)
	})
	t.Logf("400 revoked sessions announced to the other node in %v", at.Sub(start))
}

func TestTheListenerReconnectsAfterItsConnectionIsKilledAndAnnouncesAReset(t *testing.T) {
	t.Parallel()
	a, dsn := openFresh(t)
	b := openDSN(t, dsn)
	create(t, a, alice)
	got := collect(t, b)
	await(t, got, "the Reset of the first connection", isReset)

	// Kill every connection to the database: the listener's and the pools'.
	sql(t, dsn, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`)
	await(t, got, "a Reset after the reconnect", isReset)

	// Changes are heard again, and the pools recovered without a restart.
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := a.Update(t.Context(), func(tx store.Tx) error {
			acc, _, err := tx.Account("acme", "u1")
			if err != nil {
				return err
			}
			_, err = tx.SaveAccount(acc)
			return err
		})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the store did not recover: %v", err)
		}
	}
	await(t, got, "the account change after the reconnect", isAccount("u1"))
}

// newPool returns a bare pool on dsn for tests that inspect the database.
func newPool(t testing.TB, dsn string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func TestCallsFailWithinTheQueryTimeoutWhenTheServerDoesNotAnswer(t *testing.T) {
	t.Parallel()
	// A listener that accepts connections and never answers stands for a
	// hung or partitioned database.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var accepted []net.Conn
	acceptDone := make(chan struct{})
	go func() {
		defer close(acceptDone)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			accepted = append(accepted, c)
			mu.Unlock()
		}
	}()
	defer func() {
		ln.Close()
		<-acceptDone
		for _, c := range accepted {
			c.Close()
		}
	}()
	dsn := "postgres://postgres@" + ln.Addr().String() + "/postgres?sslmode=disable"

	// Open itself gives up when its context ends.
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	begin := time.Now()
	if s, err := Open(ctx, Config{DSN: dsn, ConnectTimeout: time.Minute}); err == nil {
		s.Close()
		t.Fatal("Open against a server that never answers succeeded")
	}
	if d := time.Since(begin); d > 5*time.Second {
		t.Errorf("Open took %v, want about its context's 300ms", d)
	}

	// Every call of a store is bounded by the query timeout, including the
	// wait for a connection that never completes its start-up.
	s, err := newStore(Config{DSN: dsn, ConnectTimeout: time.Minute, QueryTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for name, call := range map[string]func() error{
		"Account": func() error { _, _, err := s.Account(context.Background(), "acme", "u1"); return err },
		"Update":  func() error { return s.Update(context.Background(), func(store.Tx) error { return nil }) },
		"ReserveAttempt": func() error {
			_, err := s.ReserveAttempt(context.Background(), alice.Ref(), store.AttemptPolicy{Limit: 1, Window: time.Hour}, time.Now())
			return err
		},
	} {
		begin := time.Now()
		err := call()
		if err == nil {
			t.Errorf("%s against a server that never answers succeeded", name)
		}
		if d := time.Since(begin); d > 2*time.Second {
			t.Errorf("%s took %v, want about the 200ms query timeout", name, d)
		}
	}
}

func TestTheJournalPrunesRowsPastTheRetentionAndKeepsRecentRevocations(t *testing.T) {
	s, dsn := openFresh(t)
	pool := newPool(t, dsn)
	storetest.RunJournalPruning(t, s, storetest.JournalRows{
		Insert: func(t *testing.T, when time.Time, tenant, uid, session string) {
			sql(t, dsn, `INSERT INTO changes (at, tenant, uid, session) VALUES ($1, $2, $3, $4)`, at(when), tenant, uid, session)
		},
		Count: func(t *testing.T) int {
			var n int
			if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM changes`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		},
	})
}
