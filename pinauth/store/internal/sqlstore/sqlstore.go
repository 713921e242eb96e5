// Package sqlstore is the part of a store.Store that the two SQL backends
// of package store (sqlite, postgres) share: the statements both run,
// each written once, and the lookups and transaction writes whose logic is
// the same, over the connections each backend gives it. What differs stays
// in the backends: opening and the schema, transactions and their
// isolation, locking (SQLite's single writer; PostgreSQL's row locks,
// advisory locks and SKIP LOCKED), announcing changes, and the few
// statements only one dialect can say.
//
// Statements use numbered placeholders ($1, $2 …), each number naming one
// argument wherever it appears. PostgreSQL reads them so, and the SQLite
// driver binds $N to the N-th argument too (the sqlite package pins this
// in a test), so one text serves both without rewriting.
//
// A backend embeds Reader in its store and Tx in its transaction, giving
// them a Dialect and its connections (Pool, Conn); the methods the
// backend defines itself (CountHashes, ReserveAttempt, ReserveQuota, the
// store's own writes) complete store.Store and store.Tx.
package sqlstore

import (
	"context"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/rows"
)

// Queryer runs queries: a backend's read connections, or its
// transaction.
type Queryer interface {
	// QueryRow runs a query whose result is at most one row.
	QueryRow(ctx context.Context, query string, args ...any) rows.Scanner
	// Query runs a query and calls read with its rows, which it closes
	// afterwards.
	Query(ctx context.Context, read func(rows.Rows) error, query string, args ...any) error
}

// DB runs statements: a backend's transaction.
type DB interface {
	Queryer
	// Exec runs a statement and returns the number of rows it changed.
	Exec(ctx context.Context, query string, args ...any) (int, error)
}

// Pool is a backend's read connections, for Reader.
type Pool interface {
	Queryer
	// Call starts one store call: store.ErrClosed once the store is
	// closed, else the context that bounds the call and the function that
	// ends it.
	Call(ctx context.Context) (context.Context, context.CancelFunc, error)
}

// Conn is a backend's transaction, for Tx.
type Conn interface {
	DB
	// Check returns an error once the transaction may no longer be used
	// (its Update returned, the store closed).
	Check() error
	// Announce records an invalidation to publish if the transaction
	// commits.
	Announce(inv store.Invalidation)
	// LockAttempts keeps the backend's other decisions about the
	// account's attempts (store.Store.ReserveAttempt) from interleaving
	// with the transaction's until it ends, where they otherwise could.
	LockAttempts(ref store.AccountRef) error
}

// Dialect is what the shared code must know of how a backend stores
// things. Its time columns scan into T.
type Dialect[T any] struct {
	// Name begins the backend's error messages ("sqlite store").
	Name string
	// Scan reads the records with time columns.
	Scan rows.Scan[T]
	// Time converts a time for a time column; NullTime too, but stores
	// the zero time as NULL.
	Time, NullTime func(time.Time) any
	// NoRows is the driver's error for a query that found no row.
	NoRows error
	// Fault turns a driver error of operation op into the error a caller
	// sees (store.ErrClosed once the store is closed).
	Fault func(op string, err error) error
	// TxAccount is the statement Tx.Account reads with: AccountByUID, or
	// AccountByUIDForUpdate where concurrent read-modify-writes of one
	// account must queue on its row rather than fail their version check
	// (SQLite's single writer queues them already).
	TxAccount string
	// TxRole is the statement Tx.Role reads with: RoleRows, or
	// RoleRowsForShare where a concurrent DeleteRole must wait for the
	// transaction that read the role (SQLite's single writer orders them
	// already).
	TxRole string
	// AccountRows are the statements that delete what an account leaves
	// in other tables and the schema does not delete with it ($1 tenant,
	// $2 uid).
	AccountRows []string
	// PruneChanges deletes the journal's rows older than $1 (see
	// journal): PruneChanges, or where concurrent writers would queue on
	// each other's row locks, a statement that skips rows another
	// transaction is deleting.
	PruneChanges string
}

// collect reads every row of a query with scan.
func collect[T any](ctx context.Context, db Queryer, scan func(rows.Scanner) (T, error), query string, args ...any) ([]T, error) {
	var out []T
	err := db.Query(ctx, func(rs rows.Rows) error {
		var err error
		out, err = rows.Collect(rs, scan)
		return err
	}, query, args...)
	return out, err
}
