package postgres

import (
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/rows"
)

// Times are stored as timestamptz (microseconds). Optional times are NULL
// while zero; non-optional ones store the zero time as year 1, which comes
// back as the zero time.

// at converts a time for a timestamptz column.
func at(t time.Time) time.Time { return t.UTC() }

// nullAt converts an optional time: NULL while zero.
func nullAt(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// toMicro truncates t to the stored precision, so decisions made in Go
// match the comparisons made in SQL.
func toMicro(t time.Time) time.Time { return time.UnixMicro(t.UnixMicro()).UTC() }

// scan reads the records with time columns, which scan as time.Time.
var scan = rows.Scan[time.Time](time.Time.UTC)

// lookup turns the read of a single row into (value, found, err).
func lookup[T any](v T, err error) (T, bool, error) { return rows.Found(v, err, pgx.ErrNoRows) }
