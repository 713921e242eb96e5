package postgres

import (
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/sqlstore"
)

// pruneQuotas forgets a few ended windows of other keys, skipping rows
// other transactions hold, so that pruning never waits or deadlocks.
const pruneQuotas = `DELETE FROM quotas WHERE key IN (
	SELECT key FROM quotas WHERE window_end <= $1 AND key <> $2 LIMIT 16 FOR UPDATE SKIP LOCKED)`

// ReserveQuota implements store.Tx.
func (x *txn) ReserveQuota(key string, limit int, window time.Duration, now time.Time) (bool, error) {
	if err := x.Check(); err != nil {
		return false, err
	}
	if limit < 1 {
		return false, nil
	}
	now = toMicro(now)
	n, err := x.Exec(x.ctx, sqlstore.UpsertQuota, key, now, toMicro(now.Add(window)), limit)
	if err != nil {
		return false, x.s.fault("reserve quota", err)
	}
	if _, err := x.Exec(x.ctx, pruneQuotas, now, key); err != nil {
		return false, x.s.fault("reserve quota", err)
	}
	return n > 0, nil
}
