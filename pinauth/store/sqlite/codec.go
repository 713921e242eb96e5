package sqlite

import (
	"database/sql"
	"time"

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
