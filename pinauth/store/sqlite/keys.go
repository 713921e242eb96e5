package sqlite

import (
	"context"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/rows"
)

// Keys implements store.Reader: oldest first, ties broken by id.
func (s *Store) Keys(ctx context.Context) ([]store.Key, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	rs, err := s.r.QueryContext(ctx, `SELECT `+rows.KeyColumns+` FROM signing_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, s.fault("keys", err)
	}
	defer rs.Close()
	out, err := rows.Collect(rs, scan.Key)
	if err != nil {
		return nil, s.fault("keys", err)
	}
	return out, nil
}

// AddKey implements store.Store. With onlyIfNone the existence check and
// the insert are one statement, so of nodes starting together exactly one
// inserts. A key id already stored is an error.
func (s *Store) AddKey(ctx context.Context, k store.Key, onlyIfNone bool) (bool, error) {
	if err := s.check(); err != nil {
		return false, err
	}
	q := `INSERT INTO signing_keys (id, alg, private, public, pepper_id, created_at, retired_at)
		SELECT ?, ?, ?, ?, ?, ?, ?`
	args := []any{k.ID, k.Alg, k.Private, k.Public, k.PepperID, micro(k.CreatedAt), nullMicro(k.RetiredAt)}
	if onlyIfNone {
		q += ` WHERE NOT EXISTS (SELECT 1 FROM signing_keys WHERE alg = ? AND retired_at IS NULL)`
		args = append(args, k.Alg)
	}
	n, err := affected(s.w.ExecContext(ctx, q, args...))
	if err != nil {
		return false, s.fault("add key", err)
	}
	if n > 0 {
		s.publish(store.Invalidation{Keys: true})
	}
	return n > 0, nil
}

// RetireKey implements store.Store. Retiring a retired key keeps the first
// time.
func (s *Store) RetireKey(ctx context.Context, id string, at time.Time) (bool, error) {
	if err := s.check(); err != nil {
		return false, err
	}
	n, err := affected(s.w.ExecContext(ctx, `UPDATE signing_keys SET retired_at = COALESCE(retired_at, ?) WHERE id = ?`, micro(at), id))
	if err != nil {
		return false, s.fault("retire key", err)
	}
	if n > 0 {
		s.publish(store.Invalidation{Keys: true})
	}
	return n > 0, nil
}

// Meta implements store.Reader.
func (s *Store) Meta(ctx context.Context, key string) (string, bool, error) {
	if err := s.check(); err != nil {
		return "", false, err
	}
	v, found, err := lookup(rows.String(s.r.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key)))
	if err != nil {
		return "", false, s.fault("meta", err)
	}
	return v, found, nil
}

// SetMeta implements store.Store.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	if err := s.check(); err != nil {
		return err
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
		return s.fault("set meta", err)
	}
	return nil
}

// SetMetaIfAbsent implements store.Store in one statement: the no-op
// update makes RETURNING yield the value already stored.
func (s *Store) SetMetaIfAbsent(ctx context.Context, key, value string) (string, error) {
	if err := s.check(); err != nil {
		return "", err
	}
	var v string
	if err := s.w.QueryRowContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = meta.value RETURNING value`, key, value).Scan(&v); err != nil {
		return "", s.fault("set meta if absent", err)
	}
	return v, nil
}
