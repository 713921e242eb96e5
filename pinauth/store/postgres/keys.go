package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/rows"
)

// Keys implements store.Reader: oldest first, ties broken by id.
func (s *Store) Keys(ctx context.Context) ([]store.Key, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	rs, err := s.pool.Query(ctx, `SELECT `+rows.KeyColumns+` FROM signing_keys ORDER BY created_at, id`)
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

// AddKey implements store.Store. With onlyIfNone the transaction holds the
// algorithm's advisory lock while it checks and inserts, so of nodes
// starting together exactly one inserts (a rotation legitimately has two
// unretired keys for a moment, so no constraint could say this). A key id
// already stored is an error.
func (s *Store) AddKey(ctx context.Context, k store.Key, onlyIfNone bool) (bool, error) {
	var n int64
	err := s.inTx(ctx, "add key", func(ctx context.Context, tx pgx.Tx) error {
		q := `INSERT INTO signing_keys (id, alg, private, public, pepper_id, created_at, retired_at)
			SELECT $1, $2, $3, $4, $5, $6, $7`
		if onlyIfNone {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2::text))`, lockKeys, k.Alg); err != nil {
				return err
			}
			q += ` WHERE NOT EXISTS (SELECT 1 FROM signing_keys WHERE alg = $2 AND retired_at IS NULL)`
		}
		tag, err := tx.Exec(ctx, q, k.ID, k.Alg, k.Private, k.Public, k.PepperID, at(k.CreatedAt), nullAt(k.RetiredAt))
		if err != nil {
			return err
		}
		if n = tag.RowsAffected(); n > 0 {
			return s.notify(ctx, tx, []string{keysPayload})
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	return n > 0, nil
}

// RetireKey implements store.Store. Retiring a retired key keeps the first
// time.
func (s *Store) RetireKey(ctx context.Context, id string, retiredAt time.Time) (bool, error) {
	var n int64
	err := s.inTx(ctx, "retire key", func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE signing_keys SET retired_at = COALESCE(retired_at, $1) WHERE id = $2`, at(retiredAt), id)
		if err != nil {
			return err
		}
		if n = tag.RowsAffected(); n > 0 {
			return s.notify(ctx, tx, []string{keysPayload})
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	return n > 0, nil
}

// Meta implements store.Reader.
func (s *Store) Meta(ctx context.Context, key string) (string, bool, error) {
	if err := s.check(); err != nil {
		return "", false, err
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	v, found, err := lookup(rows.String(s.pool.QueryRow(ctx, `SELECT value FROM meta WHERE key = $1`, key)))
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
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	if _, err := s.pool.Exec(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
		return s.fault("set meta", err)
	}
	return nil
}

// SetMetaIfAbsent implements store.Store in one statement: the no-op
// update makes RETURNING yield the value already stored (a concurrent
// insert is waited for, then updated).
func (s *Store) SetMetaIfAbsent(ctx context.Context, key, value string) (string, error) {
	if err := s.check(); err != nil {
		return "", err
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	var v string
	if err := s.pool.QueryRow(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = meta.value RETURNING value`, key, value).Scan(&v); err != nil {
		return "", s.fault("set meta if absent", err)
	}
	return v, nil
}
