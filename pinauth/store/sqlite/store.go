// Package sqlite is the embedded store.Store backend: one SQLite file,
// opened with modernc.org/sqlite (pure Go, no cgo), for single-node
// deployments that need no setup.
//
// The file runs in WAL mode. All writes go through one dedicated connection
// whose transactions start with BEGIN IMMEDIATE, so writers queue in Go
// rather than fail with SQLITE_BUSY, and every security-relevant step
// (consuming a token, counting an attempt, locking) is serialized with
// every other write. Reads use a separate pool and never wait for writers.
// Several processes may open the same file: BEGIN IMMEDIATE and busy_timeout
// serialize their writers too.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/rows"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/sqlstore"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/subscribers"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// busyTimeout is how long a connection waits for another process's write
// lock before it reports SQLITE_BUSY. Writers of one process queue on the
// single write connection in Go and never reach it.
const busyTimeout = 10 * time.Second

// Store is a store.Store backed by one SQLite file. It is safe for
// concurrent use.
type Store struct {
	lookups // the reads both backends share, on r

	w       *sql.DB // exactly one connection: the only writer of this process
	r       *sql.DB // read-only connections
	closed  atomic.Bool
	subs    subscribers.List
	dialect sqlstore.Dialect[int64]

	// Prepared statements of the hot paths (login, token checks, counting
	// attempts), by their shared text: readStmts on r, writeStmts on w.
	// They are prepared with anonymous placeholders (sqlstore.Positional).
	readStmts, writeStmts map[string]*sql.Stmt
}

// lookups names the embedded shared reads.
type lookups = sqlstore.Reader[int64]

// Open opens the store file at path, creating it and its parent directory
// (mode 0700, file mode 0600) on first start, and applies pending schema
// migrations. It refuses a file written by a newer schema than this code
// knows (ErrSchemaTooNew). path must name a file; ":memory:" is not
// supported because readers and the writer use separate connections.
//
// Commits use synchronous=NORMAL: a crash of the process loses nothing, a
// power loss may lose the last commits but never corrupts the file.
func Open(path string) (*Store, error) {
	return open(path, migrations)
}

func open(path string, ms []migration) (*Store, error) {
	if path == "" || path == ":memory:" || strings.ContainsAny(path, "?#") {
		return nil, errors.New("sqlite store: path must name a file and contain no '?' or '#'")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("sqlite store: create directory: %w", err)
	}
	// Create the file ourselves so that it (and the -wal and -shm files,
	// which SQLite gives the same mode) is private: it holds hashes and
	// encrypted keys.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite store: create file: %w", err)
	}
	f.Close()

	w, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		return nil, fmt.Errorf("sqlite store: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	if err := migrate(context.Background(), w, ms); err != nil {
		w.Close()
		return nil, err
	}

	r, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite store: %w", err)
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)

	s := &Store{w: w, r: r}
	s.dialect = sqlstore.Dialect[int64]{
		Name: "sqlite store", Scan: scan, NoRows: sql.ErrNoRows, Fault: s.fault,
		Time:      func(t time.Time) any { return micro(t) },
		NullTime:  nullMicro,
		TxAccount: sqlstore.AccountByUID, // the single writer queues read-modify-writes
		TxRole:    sqlstore.RoleRows,
		// Deleted one by one: of these tables only identifiers has a
		// foreign key to accounts.
		PruneChanges: sqlstore.PruneChanges,
		AccountRows: []string{sqlstore.DeleteAccountIdentifiers, sqlstore.DeleteAccountNames,
			sqlstore.DeleteAccountNameConflicts, sqlstore.DeleteAccountTokens,
			sqlstore.DeleteAccountSessions, sqlstore.DeleteAccountAttempts},
	}
	s.lookups = sqlstore.NewReader(&s.dialect, reads{s})
	if err := s.prepare(); err != nil {
		s.closeDBs()
		return nil, err
	}
	return s, nil
}

// dsn builds the driver's connection string. busy_timeout comes first so
// that the journal_mode change cannot fail with SQLITE_BUSY while another
// process opens the same file.
func dsn(path string, writer bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	if writer {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Set("_txlock", "immediate")
	} else {
		// A reader that tried to write would take the write lock behind
		// the single writer's back.
		q.Add("_pragma", "query_only(1)")
	}
	return path + "?" + q.Encode()
}

func (s *Store) prepare() error {
	ctx := context.Background()
	s.readStmts, s.writeStmts = map[string]*sql.Stmt{}, map[string]*sql.Stmt{}
	for _, p := range []struct {
		db      *sql.DB
		stmts   map[string]*sql.Stmt
		queries []string
	}{
		{s.r, s.readStmts, []string{sqlstore.AccountByUID, sqlstore.AccountBy, sqlstore.SelectToken, sqlstore.SelectSession}},
		{s.w, s.writeStmts, []string{sqlstore.SelectToken, sqlstore.ConsumeToken, sqlstore.SelectAttempts, sqlstore.UpsertAttempts}},
	} {
		for _, q := range p.queries {
			anon, ok := sqlstore.Positional(q)
			if !ok {
				return fmt.Errorf("sqlite store: prepare: placeholders out of order in %q", q)
			}
			st, err := p.db.PrepareContext(ctx, anon)
			if err != nil {
				return fmt.Errorf("sqlite store: prepare: %w", err)
			}
			p.stmts[q] = st
		}
	}
	return nil
}

// Close releases the store's connections. Calls after the first return nil;
// every other method returns store.ErrClosed once Close has begun.
func (s *Store) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	return s.closeDBs()
}

func (s *Store) closeDBs() error {
	for _, stmts := range []map[string]*sql.Stmt{s.readStmts, s.writeStmts} {
		for _, st := range stmts {
			st.Close()
		}
	}
	return errors.Join(s.r.Close(), s.w.Close())
}

// check returns store.ErrClosed after Close.
func (s *Store) check() error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	return nil
}

// fault turns a driver error into the error a caller sees: store.ErrClosed
// when the store was closed meanwhile, else err wrapped with what failed.
// Driver messages name tables and columns, never bound values, so no secret
// reaches the text.
func (s *Store) fault(op string, err error) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	return fmt.Errorf("sqlite store: %s: %w", op, err)
}

// reads are the store's read connections, as the shared lookups use them.
type reads struct{ s *Store }

// noEnd ends a call that holds nothing.
var noEnd context.CancelFunc = func() {}

// Call implements sqlstore.Pool: a read waits on nothing but its context.
func (r reads) Call(ctx context.Context) (context.Context, context.CancelFunc, error) {
	return ctx, noEnd, r.s.check()
}

// QueryRow implements sqlstore.Pool, with the prepared statement of
// query when there is one.
func (r reads) QueryRow(ctx context.Context, query string, args ...any) rows.Scanner {
	if st := r.s.readStmts[query]; st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return r.s.r.QueryRowContext(ctx, query, args...)
}

// Query implements sqlstore.Pool.
func (r reads) Query(ctx context.Context, read func(rows.Rows) error, query string, args ...any) error {
	rs, err := r.s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	return read(rs)
}

var _ store.Store = (*Store)(nil)
