package sqlite

import (
	"database/sql"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/rows"
)

// claimableNames returns the names a must insert to have all its names,
// after checking that none is another account's (a *DuplicateError
// otherwise); had are the names its stored identifiers give it (nil for a
// new account). It only reads: the write transaction serializes writers,
// so the answer holds until commit.
func (x *txn) claimableNames(a *store.Account, had map[string]bool) ([]store.Name, error) {
	var claims []store.Name
	for _, n := range a.Names() {
		var holder sql.NullString
		st := rows.NameState{Had: had[n.Value]}
		if err := x.QueryRow(x.ctx, rows.NameStateQuery, a.Tenant, n.Value, a.UID).Scan(&holder, &st.Others); err != nil {
			return nil, x.s.fault("check names", err)
		}
		st.Holder = holder.String
		claim, err := rows.Claim(a.UID, n, st)
		if err != nil {
			return nil, err
		}
		if claim {
			claims = append(claims, n)
		}
	}
	return claims, nil
}

// writeNames makes the stored names of a exactly a's: the names it no
// longer has are released (held or shared), the claims inserted.
func (x *txn) writeNames(a *store.Account, claims []store.Name) error {
	rs, err := x.tx.QueryContext(x.ctx, rows.HeldNamesQuery, a.Tenant, a.UID)
	if err != nil {
		return x.s.fault("write names", err)
	}
	held, err := rows.Collect(rs, rows.ScanString)
	rs.Close()
	if err != nil {
		return x.s.fault("write names", err)
	}
	release := rows.Dropped(held, a.Names())
	for _, c := range claims {
		release = append(release, c.Value) // a claim ends the account's sharing of the name
	}
	for _, n := range release {
		for _, q := range []string{
			`DELETE FROM names WHERE tenant = ? AND name = ? AND uid = ?`,
			`DELETE FROM name_conflicts WHERE tenant = ? AND name = ? AND uid = ?`,
		} {
			if _, err := x.Exec(x.ctx, q, a.Tenant, n, a.UID); err != nil {
				return x.s.fault("write names", err)
			}
		}
	}
	for _, c := range claims {
		if _, err := x.Exec(x.ctx, `INSERT INTO names (tenant, name, uid) VALUES (?, ?, ?)`, a.Tenant, c.Value, a.UID); err != nil {
			if isConstraint(err) {
				return &store.DuplicateError{Field: c.Field}
			}
			return x.s.fault("write names", err)
		}
	}
	return nil
}
