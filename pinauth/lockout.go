package pinauth

import (
	"context"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// failuresInWindow is the failure count that still counts at now: an
// ended lock or window starts afresh (as Store.ReserveAttempt decides).
func failuresInWindow(att store.Attempts, window time.Duration, now time.Time) int {
	if att.LockType != store.LockNone && !att.Locked(now) {
		return 0
	}
	if att.Failures > 0 && !att.WindowStart.Add(window).After(now) {
		return 0
	}
	return att.Failures
}

// blockLocked reports whether the account is locked with the block lock
// type, which only an operator lifts (IsLoginLocked false or IsActive
// true).
func (g *Gateway) blockLocked(ctx context.Context, ref store.AccountRef, now time.Time) (bool, error) {
	att, _, err := g.store.Attempts(ctx, ref)
	if err != nil {
		return false, err
	}
	return att.Blocked(now), nil
}
