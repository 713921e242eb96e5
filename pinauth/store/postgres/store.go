// Package postgres is the store.Store backend for clusters: every pinauth
// node opens the same PostgreSQL database through a pgx connection pool,
// so accounts, tokens, lock state, signing keys and the webhook outbox are
// shared, and every node hears of every other node's changes through
// LISTEN/NOTIFY (see Subscribe).
//
// Transactions run at READ COMMITTED. The operations that security depends
// on are safe under it without retries: a one-time token is taken by one
// conditional UPDATE, a version check is part of the UPDATE that saves an
// account, and counting failed attempts and adding the first signing key
// hold a transaction-scoped advisory lock on what they decide about.
// Identifier uniqueness rests on a primary key, and a rejected insert is
// rolled back to a savepoint so the transaction stays usable.
//
// Every call has a deadline (Config.QueryTimeout) that covers waiting for
// a pooled connection, so an unreachable or hung database turns into an
// error within a bounded time, never into a hang.
package postgres

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/rows"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/sqlstore"
)

// Config says which database to use and how long to wait for it.
type Config struct {
	// DSN is a PostgreSQL connection string, as a URL
	// (postgres://user@host:5432/db?sslmode=disable) or in key=value form.
	// Required.
	DSN string
	// MaxConns caps the connection pool. The notification listener uses
	// one more connection of its own. Default: 4 per CPU, at least 8.
	MaxConns int
	// ConnectTimeout bounds establishing one connection. Default: the
	// DSN's connect_timeout, else 5s.
	ConnectTimeout time.Duration
	// QueryTimeout bounds every store call, including the wait for a
	// pooled connection, unless the caller's context ends sooner; Update
	// gets it for the whole transaction. Default: 5s.
	QueryTimeout time.Duration
	// Logger receives the listener's connection events. Default: none.
	Logger *zap.Logger
}

// Defaults applied by Open.
const (
	DefaultConnectTimeout = 5 * time.Second
	DefaultQueryTimeout   = 5 * time.Second
)

// Store is a store.Store backed by PostgreSQL. It is safe for concurrent
// use by many goroutines and many processes.
type Store struct {
	lookups // the reads both backends share, on pool

	pool         *pgxpool.Pool
	connConfig   *pgx.ConnConfig // for the listener's dedicated connection
	queryTimeout time.Duration
	log          *zap.Logger
	closed       atomic.Bool
	lis          listener
	dialect      sqlstore.Dialect[time.Time]
}

// lookups names the embedded shared reads.
type lookups = sqlstore.Reader[time.Time]

// Open connects to the database, applies pending schema migrations (one
// node at a time, under an advisory lock, so nodes may start together)
// and returns the store. ctx bounds the whole start, migrations included.
// It refuses a database written by a newer schema (ErrSchemaTooNew).
// Errors never contain the DSN's password.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	s, err := newStore(cfg)
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, s.pool, migrations); err != nil {
		s.pool.Close()
		return nil, err
	}
	return s, nil
}

// newStore builds a store and its pool without connecting: connections are
// made when first needed.
func newStore(cfg Config) (*Store, error) {
	pc, err := pgxpool.ParseConfig(cfg.DSN)
	if err != nil {
		// pgx's parse errors do not repeat the connection string.
		return nil, fmt.Errorf("postgres store: invalid DSN: %w", err)
	}
	pc.MaxConns = int32(cfg.MaxConns)
	if pc.MaxConns <= 0 {
		pc.MaxConns = int32(max(8, 4*runtime.GOMAXPROCS(0)))
	}
	switch {
	case cfg.ConnectTimeout > 0:
		pc.ConnConfig.ConnectTimeout = cfg.ConnectTimeout
	case pc.ConnConfig.ConnectTimeout == 0:
		pc.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	s := &Store{
		connConfig:   pc.ConnConfig.Copy(),
		queryTimeout: cfg.QueryTimeout,
		log:          cfg.Logger,
	}
	if s.queryTimeout <= 0 {
		s.queryTimeout = DefaultQueryTimeout
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	if s.pool, err = pgxpool.NewWithConfig(context.Background(), pc); err != nil {
		return nil, fmt.Errorf("postgres store: %w", err)
	}
	s.dialect = sqlstore.Dialect[time.Time]{
		Name: "postgres store", Scan: scan, NoRows: pgx.ErrNoRows, Fault: s.fault,
		Time:     func(t time.Time) any { return at(t) },
		NullTime: nullAt,
		// Reading an account in a transaction is nearly always the start
		// of a read-modify-write (a login counting itself): concurrent
		// ones queue on the row instead of failing their version check,
		// as they would queue on SQLite's single writer.
		TxAccount: sqlstore.AccountByUIDForUpdate,
		TxRole:    sqlstore.RoleRowsForShare,
		// Identifiers, names and name conflicts go with the account (ON
		// DELETE CASCADE).
		AccountRows: []string{sqlstore.DeleteAccountTokens, sqlstore.DeleteAccountSessions, sqlstore.DeleteAccountAttempts},
		// Concurrent revocations would otherwise queue (or deadlock) on
		// the same expiring rows; any one of them pruning is enough.
		PruneChanges: `DELETE FROM changes WHERE ctid IN (SELECT ctid FROM changes WHERE at < $1 FOR UPDATE SKIP LOCKED)`,
	}
	s.lookups = sqlstore.NewReader(&s.dialect, reads{s})
	s.lis.init(s)
	return s, nil
}

// Close stops the listener and closes the pool, waiting for connections
// in use to be returned. Calls after the first return nil; every other
// method returns store.ErrClosed once Close has begun.
func (s *Store) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	s.lis.stop()
	s.pool.Close()
	return nil
}

// check returns store.ErrClosed after Close.
func (s *Store) check() error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	return nil
}

// withTimeout bounds one store call by the query timeout.
func (s *Store) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.queryTimeout)
}

// fault turns a driver error into the error a caller sees: store.ErrClosed
// when the store was closed meanwhile, else err wrapped with what failed.
// PostgreSQL's messages name tables, columns and constraints; the values of
// a conflicting key appear only in an error's Detail, which Error() leaves
// out, so no secret reaches the text.
func (s *Store) fault(op string, err error) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	return fmt.Errorf("postgres store: %s: %w", op, err)
}

// reads are the store's pool, as the shared lookups use it.
type reads struct{ s *Store }

// Call implements sqlstore.Pool: the query timeout bounds the call.
func (r reads) Call(ctx context.Context) (context.Context, context.CancelFunc, error) {
	if err := r.s.check(); err != nil {
		return ctx, nil, err
	}
	ctx, cancel := r.s.withTimeout(ctx)
	return ctx, cancel, nil
}

// QueryRow implements sqlstore.Pool.
func (r reads) QueryRow(ctx context.Context, query string, args ...any) rows.Scanner {
	return r.s.pool.QueryRow(ctx, query, args...)
}

// Query implements sqlstore.Pool.
func (r reads) Query(ctx context.Context, read func(rows.Rows) error, query string, args ...any) error {
	rs, err := r.s.pool.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	return read(rs)
}

var _ store.Store = (*Store)(nil)
