package postgres

import (
	"time"
)

// upsertQuota counts one use of a quota in one statement: a new key, or
// one whose window has ended, starts a window with one use; otherwise the
// use is counted while under the limit. The conflicting row is locked and
// re-read by ON CONFLICT DO UPDATE, so concurrent callers on any node
// count exactly. No row changed means the quota is spent.
const upsertQuota = `INSERT INTO quotas (key, used, window_end) VALUES ($1, 1, $3)
	ON CONFLICT (key) DO UPDATE SET
		used = CASE WHEN quotas.window_end <= $2 THEN 1 ELSE quotas.used + 1 END,
		window_end = CASE WHEN quotas.window_end <= $2 THEN excluded.window_end ELSE quotas.window_end END
	WHERE quotas.window_end <= $2 OR quotas.used < $4`

// pruneQuotas forgets a few ended windows of other keys, skipping rows
// other transactions hold, so that pruning never waits or deadlocks.
const pruneQuotas = `DELETE FROM quotas WHERE key IN (
	SELECT key FROM quotas WHERE window_end <= $1 AND key <> $2 LIMIT 16 FOR UPDATE SKIP LOCKED)`

// ReserveQuota implements store.Tx.
func (x *txn) ReserveQuota(key string, limit int, window time.Duration, now time.Time) (bool, error) {
	if err := x.check(); err != nil {
		return false, err
	}
	if limit < 1 {
		return false, nil
	}
	now = toMicro(now)
	n, err := x.exec(upsertQuota, key, now, toMicro(now.Add(window)), limit)
	if err != nil {
		return false, x.s.fault("reserve quota", err)
	}
	if _, err := x.exec(pruneQuotas, now, key); err != nil {
		return false, x.s.fault("reserve quota", err)
	}
	return n > 0, nil
}
