package sqlstore

import "testing"

func TestPositionalTakesNumbersInOrderOnly(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{`SELECT a FROM t WHERE b = $1 AND c = $2`, `SELECT a FROM t WHERE b = ? AND c = ?`, true},
		{`SELECT 1`, `SELECT 1`, true},
		{`VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, `VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, true},
		{`SELECT a FROM t WHERE b = $2 AND c = $1`, "", false}, // would swap the arguments
		{`SELECT a FROM t WHERE b = $1 AND c = $1`, "", false}, // would need the argument twice
		{`SELECT a FROM t WHERE b = $1 AND c = $3`, "", false},
		{`SELECT json_extract(doc, '$.x')`, "", false},
	} {
		got, ok := Positional(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("Positional(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}
