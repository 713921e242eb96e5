package postgres

import (
	"github.com/jackc/pgx/v5"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/rows"
)

// writeNames gives a its names, inside the caller's savepoint: it checks
// that none is another account's (a *DuplicateError otherwise, and the
// caller rolls back), releases the names a no longer has and inserts the
// ones it takes. A concurrent transaction taking the same name makes the
// insert wait for its commit and then find the row: of two, one wins.
// had are the names a's stored identifiers give it (nil for a new
// account).
func (x *txn) writeNames(tx pgx.Tx, a *store.Account, had map[string]bool) (*store.DuplicateError, error) {
	names := a.Names()
	var claims []store.Name
	for _, n := range names {
		var holder *string
		st := rows.NameState{Had: had[n.Value]}
		if err := tx.QueryRow(x.ctx, rows.NameStateQuery, a.Tenant, n.Value, a.UID).Scan(&holder, &st.Others); err != nil {
			return nil, err
		}
		if holder != nil {
			st.Holder = *holder
		}
		claim, err := rows.Claim(a.UID, n, st)
		if d, ok := store.IsDuplicate(err); ok {
			return d, nil
		}
		if claim {
			claims = append(claims, n)
		}
	}
	rs, err := tx.Query(x.ctx, rows.HeldNamesQuery, a.Tenant, a.UID)
	if err != nil {
		return nil, err
	}
	held, err := rows.Collect(rs, rows.ScanString)
	rs.Close()
	if err != nil {
		return nil, err
	}
	release := rows.Dropped(held, names)
	for _, c := range claims {
		release = append(release, c.Value) // a claim ends the account's sharing of the name
	}
	if len(release) > 0 {
		for _, q := range []string{
			`DELETE FROM names WHERE tenant = $1 AND uid = $2 AND name = ANY($3)`,
			`DELETE FROM name_conflicts WHERE tenant = $1 AND uid = $2 AND name = ANY($3)`,
		} {
			if _, err := tx.Exec(x.ctx, q, a.Tenant, a.UID, release); err != nil {
				return nil, err
			}
		}
	}
	for _, c := range claims {
		tag, err := tx.Exec(x.ctx, `INSERT INTO names (tenant, name, uid) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			a.Tenant, c.Value, a.UID)
		if err != nil {
			return nil, err
		}
		if tag.RowsAffected() == 0 {
			return &store.DuplicateError{Field: c.Field}, nil
		}
	}
	return nil, nil
}
