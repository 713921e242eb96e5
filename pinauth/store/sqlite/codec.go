package sqlite

import (
	"database/sql"
	"errors"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/rows"
)

// Times are stored as INTEGER microseconds since the Unix epoch, in UTC:
// exact, comparable in SQL, and wide enough for the far-future instants of
// Block locks. Optional times are NULL while zero.

func micro(t time.Time) int64 { return t.UnixMicro() }

func nullMicro(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

func fromMicro(v int64) time.Time { return time.UnixMicro(v).UTC() }

// scan reads the records with time columns, which scan as int64.
var scan = rows.Scan[int64](fromMicro)

// lookup turns the read of a single row into (value, found, err).
func lookup[T any](v T, err error) (T, bool, error) { return rows.Found(v, err, sql.ErrNoRows) }

// encodeAccount returns a's stored document as a string, so that it is
// stored as TEXT (a []byte would be stored as a BLOB).
func encodeAccount(a *store.Account) (string, error) {
	b, err := rows.EncodeAccount(a)
	return string(b), err
}

// isConstraint reports whether err is a UNIQUE or PRIMARY KEY violation.
func isConstraint(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}
