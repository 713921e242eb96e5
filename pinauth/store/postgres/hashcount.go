package postgres

import (
	"context"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// countHashesSQL counts in the database: the scheme is the hash's
// '$'-separated fields but the last two (store.HashScheme), and an
// account's security answers count once per scheme.
const countHashesSQL = `
WITH hashes AS (
	SELECT tenant, uid, 'password' AS secret, doc->>'password_hash' AS h FROM accounts WHERE $1 = '' OR tenant = $1
	UNION ALL
	SELECT tenant, uid, 'pin', doc->>'pin_hash' FROM accounts WHERE $1 = '' OR tenant = $1
	UNION ALL
	SELECT a.tenant, a.uid, 'security_answer', e.value
	FROM accounts a, json_each_text(a.doc->'security_answers') e WHERE $1 = '' OR a.tenant = $1
), schemes AS (
	SELECT DISTINCT tenant, uid, secret, array_to_string(f[1:cardinality(f) - 2], '$') AS scheme
	FROM hashes, string_to_array(h, '$') AS f
	WHERE h <> ''
)
SELECT secret, scheme, count(*) FROM schemes GROUP BY secret, scheme`

// CountHashes implements store.Reader.
func (s *Store) CountHashes(ctx context.Context, tenant string) ([]store.HashCount, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	rs, err := s.pool.Query(ctx, countHashesSQL, tenant)
	if err != nil {
		return nil, s.fault("count hashes", err)
	}
	var out []store.HashCount
	for rs.Next() {
		var c store.HashCount
		if err := rs.Scan(&c.Secret, &c.Scheme, &c.Accounts); err != nil {
			rs.Close()
			return nil, s.fault("count hashes", err)
		}
		out = append(out, c)
	}
	if err := rs.Err(); err != nil {
		return nil, s.fault("count hashes", err)
	}
	store.SortHashCounts(out)
	return out, nil
}
