package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/sqlstore"
)

// AddKey implements store.Store. With onlyIfNone the transaction holds the
// algorithm's advisory lock while it checks and inserts, so of nodes
// starting together exactly one inserts (a rotation legitimately has two
// unretired keys for a moment, so no constraint could say this). A key id
// already stored is an error.
func (s *Store) AddKey(ctx context.Context, k store.Key, onlyIfNone bool) (bool, error) {
	return s.changeKeys(ctx, "add key", func(ctx context.Context, tx pgx.Tx) (int64, error) {
		q := sqlstore.InsertKey
		if onlyIfNone {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2::text))`, lockKeys, k.Alg); err != nil {
				return 0, err
			}
			q = sqlstore.InsertKeyIfNone
		}
		tag, err := tx.Exec(ctx, q, k.ID, k.Alg, k.Private, k.Public, k.PepperID, at(k.CreatedAt), nullAt(k.RetiredAt))
		return tag.RowsAffected(), err
	})
}

// RetireKey implements store.Store. Retiring a retired key keeps the first
// time.
func (s *Store) RetireKey(ctx context.Context, id string, retiredAt time.Time) (bool, error) {
	return s.changeKeys(ctx, "retire key", func(ctx context.Context, tx pgx.Tx) (int64, error) {
		tag, err := tx.Exec(ctx, sqlstore.RetireKey, at(retiredAt), id)
		return tag.RowsAffected(), err
	})
}

// changeKeys runs fn in a transaction of its own and, when it changed a
// key, announces the keys with the commit.
func (s *Store) changeKeys(ctx context.Context, op string, fn func(ctx context.Context, tx pgx.Tx) (int64, error)) (bool, error) {
	var n int64
	err := s.inTx(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
		var err error
		if n, err = fn(ctx, tx); err != nil || n == 0 {
			return err
		}
		return s.notify(ctx, tx, []string{keysPayload})
	})
	if err != nil {
		return false, err
	}
	return n > 0, nil
}

// SetMeta implements store.Store.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	if err := s.check(); err != nil {
		return err
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	if _, err := s.pool.Exec(ctx, sqlstore.SetMeta, key, value); err != nil {
		return s.fault("set meta", err)
	}
	return nil
}

// SetMetaIfAbsent implements store.Store in one statement.
func (s *Store) SetMetaIfAbsent(ctx context.Context, key, value string) (string, error) {
	if err := s.check(); err != nil {
		return "", err
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	var v string
	if err := s.pool.QueryRow(ctx, sqlstore.SetMetaIfAbsent, key, value).Scan(&v); err != nil {
		return "", s.fault("set meta if absent", err)
	}
	return v, nil
}
