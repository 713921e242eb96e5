// Package rows is the Go side of the rows that the SQL backends of package
// store (sqlite, postgres) keep: the account document, the columns each
// record is read from, and how a scanned row becomes a store value, the
// same for both, so that the two read and write records identically. The
// SQL is in package sqlstore.
//
// Time columns differ by backend (SQLite keeps microseconds in an INTEGER,
// PostgreSQL a timestamptz), so the readers of records with times are
// methods of Scan, which a backend instantiates with its column type.
package rows

import (
	"encoding/json"
	"errors"
	"time"
)

// Scanner is one row to read: a *sql.Row or *sql.Rows, a pgx.Row or
// pgx.Rows.
type Scanner interface {
	Scan(dest ...any) error
}

// Rows is a result set: a *sql.Rows or a pgx.Rows.
type Rows interface {
	Scanner
	Next() bool
	Err() error
}

// Collect reads every row of rs with scan. It leaves closing rs to the
// caller.
func Collect[T any](rs Rows, scan func(Scanner) (T, error)) ([]T, error) {
	var out []T
	for rs.Next() {
		v, err := scan(rs)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rs.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// Found turns the read of a single row into a lookup's (value, found,
// err): noRows, the driver's error for an empty result, means found=false
// and no error.
func Found[T any](v T, err, noRows error) (T, bool, error) {
	var zero T
	switch {
	case err == nil:
		return v, true, nil
	case errors.Is(err, noRows):
		return zero, false, nil
	default:
		return zero, false, err
	}
}

// Scan reads the records that have time columns, for a backend whose time
// columns scan into T (and NULL into a nil *T). Calling it converts one
// scanned value to the UTC time it stands for.
type Scan[T any] func(T) time.Time

// orZero converts a nullable time column: NULL is the zero time.
func (utc Scan[T]) orZero(v *T) time.Time {
	if v == nil {
		return time.Time{}
	}
	return utc(*v)
}

// EncodeStrings stores a small string map as JSON text, NULL (nil) when
// empty.
func EncodeStrings(m map[string]string) (any, error) {
	if len(m) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// decodeStrings reads what EncodeStrings stored.
func decodeStrings(v *string) (map[string]string, error) {
	if v == nil || *v == "" {
		return nil, nil
	}
	var m map[string]string
	err := json.Unmarshal([]byte(*v), &m)
	return m, err
}

// String reads a row of one text column.
func String(sc Scanner) (string, error) {
	var s string
	err := sc.Scan(&s)
	return s, err
}
