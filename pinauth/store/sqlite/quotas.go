package sqlite

import (
	"time"
)

// ReserveQuota implements store.Tx in two statements of the caller's
// transaction, which holds the write lock: ended windows are deleted, then
// the key's row is inserted (a fresh window) or counted up while under the
// limit; a row that did not change means the quota is spent.
func (x *txn) ReserveQuota(key string, limit int, window time.Duration, now time.Time) (bool, error) {
	if err := x.check(); err != nil {
		return false, err
	}
	if limit < 1 {
		return false, nil
	}
	if _, err := x.exec(`DELETE FROM quotas WHERE window_end <= ?`, micro(now)); err != nil {
		return false, x.s.fault("reserve quota", err)
	}
	n, err := affected(x.exec(`INSERT INTO quotas (key, used, window_end) VALUES (?, 1, ?)
		ON CONFLICT (key) DO UPDATE SET used = used + 1 WHERE used < ?`,
		key, micro(now.Add(window)), limit))
	if err != nil {
		return false, x.s.fault("reserve quota", err)
	}
	return n > 0, nil
}
