package sqlite

import (
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/sqlstore"
)

// ReserveQuota implements store.Tx in two statements of the caller's
// transaction, which holds the write lock: ended windows are deleted, then
// UpsertQuota counts the use (the key's window is open or new by then).
func (x *txn) ReserveQuota(key string, limit int, window time.Duration, now time.Time) (bool, error) {
	if err := x.Check(); err != nil {
		return false, err
	}
	if limit < 1 {
		return false, nil
	}
	if _, err := x.Exec(x.ctx, `DELETE FROM quotas WHERE window_end <= $1`, micro(now)); err != nil {
		return false, x.s.fault("reserve quota", err)
	}
	n, err := x.Exec(x.ctx, sqlstore.UpsertQuota, key, micro(now), micro(now.Add(window)), limit)
	if err != nil {
		return false, x.s.fault("reserve quota", err)
	}
	return n > 0, nil
}
