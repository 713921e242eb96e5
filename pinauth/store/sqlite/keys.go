package sqlite

import (
	"context"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/sqlstore"
)

// AddKey implements store.Store. With onlyIfNone the existence check and
// the insert are one statement, so of nodes starting together exactly one
// inserts. A key id already stored is an error.
func (s *Store) AddKey(ctx context.Context, k store.Key, onlyIfNone bool) (bool, error) {
	if err := s.check(); err != nil {
		return false, err
	}
	q := sqlstore.InsertKey
	if onlyIfNone {
		q = sqlstore.InsertKeyIfNone
	}
	n, err := affected(s.w.ExecContext(ctx, q, k.ID, k.Alg, k.Private, k.Public, k.PepperID, micro(k.CreatedAt), nullMicro(k.RetiredAt)))
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
	n, err := affected(s.w.ExecContext(ctx, sqlstore.RetireKey, micro(at), id))
	if err != nil {
		return false, s.fault("retire key", err)
	}
	if n > 0 {
		s.publish(store.Invalidation{Keys: true})
	}
	return n > 0, nil
}

// SetMeta implements store.Store.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	if err := s.check(); err != nil {
		return err
	}
	if _, err := s.w.ExecContext(ctx, sqlstore.SetMeta, key, value); err != nil {
		return s.fault("set meta", err)
	}
	return nil
}

// SetMetaIfAbsent implements store.Store in one statement.
func (s *Store) SetMetaIfAbsent(ctx context.Context, key, value string) (string, error) {
	if err := s.check(); err != nil {
		return "", err
	}
	var v string
	if err := s.w.QueryRowContext(ctx, sqlstore.SetMetaIfAbsent, key, value).Scan(&v); err != nil {
		return "", s.fault("set meta if absent", err)
	}
	return v, nil
}
