package postgres

import (
	"context"
	"slices"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/rows"
)

// Session implements store.Reader.
func (s *Store) Session(ctx context.Context, id string) (store.Session, bool, error) {
	if err := s.check(); err != nil {
		return store.Session{}, false, err
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	ses, found, err := lookup(scan.Session(
		s.pool.QueryRow(ctx, `SELECT `+rows.SessionColumns+` FROM sessions WHERE id = $1`, id), id))
	if err != nil {
		return store.Session{}, false, s.fault("session", err)
	}
	return ses, found, nil
}

// CreateSession implements store.Tx. An id already stored is an error.
func (x *txn) CreateSession(ses store.Session) error {
	if err := x.check(); err != nil {
		return err
	}
	if _, err := x.exec(`INSERT INTO sessions (id, tenant, uid, created_at, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		ses.ID, ses.Tenant, ses.UID, at(ses.CreatedAt), at(ses.ExpiresAt), nullAt(ses.RevokedAt)); err != nil {
		return x.s.fault("create session", err)
	}
	return nil
}

// RevokeSession implements store.Tx.
func (x *txn) RevokeSession(id string, now time.Time) (bool, error) {
	if err := x.check(); err != nil {
		return false, err
	}
	// COALESCE keeps the first revocation time; the row still counts as
	// matched, which tells whether the session exists.
	n, err := x.exec(`UPDATE sessions SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2`, at(now), id)
	if err != nil {
		return false, x.s.fault("revoke session", err)
	}
	if n == 0 {
		return false, nil
	}
	if _, err := x.exec(`DELETE FROM tokens WHERE session_id = $1`, id); err != nil {
		return false, x.s.fault("revoke session", err)
	}
	x.announce(store.Invalidation{Sessions: []string{id}})
	return true, nil
}

// RevokeSessions implements store.Tx. It deletes the tokens of every
// session of the account except exceptSession, including sessions revoked
// earlier, and returns the newly revoked ids sorted.
func (x *txn) RevokeSessions(ref store.AccountRef, exceptSession string, now time.Time) ([]string, error) {
	if err := x.check(); err != nil {
		return nil, err
	}
	rs, err := x.tx.Query(x.ctx, `UPDATE sessions SET revoked_at = $1
		WHERE tenant = $2 AND uid = $3 AND revoked_at IS NULL AND id <> $4 RETURNING id`,
		at(now), ref.Tenant, ref.UID, exceptSession)
	if err != nil {
		return nil, x.s.fault("revoke sessions", err)
	}
	ids, err := rows.Collect(rs, rows.String)
	rs.Close()
	if err != nil {
		return nil, x.s.fault("revoke sessions", err)
	}
	if _, err := x.exec(`DELETE FROM tokens WHERE session_id IN
		(SELECT id FROM sessions WHERE tenant = $1 AND uid = $2 AND id <> $3)`,
		ref.Tenant, ref.UID, exceptSession); err != nil {
		return nil, x.s.fault("revoke sessions", err)
	}
	slices.Sort(ids)
	if len(ids) > 0 {
		x.announce(store.Invalidation{Sessions: ids})
	}
	return ids, nil
}
