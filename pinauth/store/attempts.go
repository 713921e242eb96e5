package store

import "time"

// DecideAttempt is the decision of Store.ReserveAttempt, in code: given the
// account's stored Attempts (the zero Attempts when none are stored), the
// policy and now, it returns the call's result, whose State is what must
// be stored afterwards. A backend reads the stored state, decides with
// DecideAttempt and writes State back (where it changed) in one atomic
// step; now must already be at the precision the backend stores.
func DecideAttempt(st Attempts, p AttemptPolicy, now time.Time) AttemptResult {
	locked := st.Locked(now)
	if !locked && st.LockType != LockNone {
		st = Attempts{} // the lock ended: start afresh
	}
	if st.Failures > 0 && !st.WindowStart.Add(p.Window).After(now) {
		st.Failures, st.WindowStart = 0, time.Time{} // the window ended
	}
	bypass := locked && p.Bypass != LockNone && p.Bypass == st.LockType
	if !bypass && (locked || st.Failures >= p.Limit) {
		return AttemptResult{Allowed: false, Count: st.Failures, State: st}
	}
	if st.Failures == 0 {
		st.WindowStart = now
	}
	st.Failures++
	return AttemptResult{Allowed: true, Count: st.Failures, State: st}
}
