package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"maps"
	"slices"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// CountHashes implements store.Reader. SQLite has no function to split a
// hash, so the hashes are read (and nothing else of the accounts) and
// counted in Go.
func (s *Store) CountHashes(ctx context.Context, tenant string) ([]store.HashCount, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	rs, err := s.r.QueryContext(ctx, `SELECT json_extract(doc, '$.password_hash'), json_extract(doc, '$.pin_hash'),
		json_extract(doc, '$.security_answers') FROM accounts WHERE ?1 = '' OR tenant = ?1`, tenant)
	if err != nil {
		return nil, s.fault("count hashes", err)
	}
	defer rs.Close()
	counter := store.HashCounter{}
	for rs.Next() {
		var password, pin, answersJSON sql.NullString
		if err := rs.Scan(&password, &pin, &answersJSON); err != nil {
			return nil, s.fault("count hashes", err)
		}
		var answers map[string]string
		if answersJSON.Valid {
			if err := json.Unmarshal([]byte(answersJSON.String), &answers); err != nil {
				return nil, s.fault("count hashes", err)
			}
		}
		counter.AddAccount(password.String, pin.String, slices.Collect(maps.Values(answers)))
	}
	if err := rs.Err(); err != nil {
		return nil, s.fault("count hashes", err)
	}
	return counter.Counts(), nil
}
