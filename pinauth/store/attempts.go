package store

import (
	"fmt"
	"strings"
	"time"
)

// LockType is how a locked account is treated.
type LockType string

// The lock types.
const (
	LockNone    LockType = ""
	LockSuspend LockType = "Suspend"
	LockCaptcha LockType = "Captcha"
	LockBlock   LockType = "Block"
)

// LockTypes lists every lock an account can be given (LockNone aside):
// the one list for configurations and metrics.
var LockTypes = []LockType{LockSuspend, LockCaptcha, LockBlock}

// ParseLockType returns the lock type a configuration names: a LockTypes
// entry in lower case ("suspend", "captcha" or "block").
func ParseLockType(name string) (LockType, error) {
	for _, lt := range LockTypes {
		if strings.ToLower(string(lt)) == name {
			return lt, nil
		}
	}
	return LockNone, fmt.Errorf("unknown type %q (want suspend, captcha or block)", name)
}

// Attempts is an account's failure count and lock state.
type Attempts struct {
	Failures    int
	WindowStart time.Time
	LockType    LockType
	// LockedUntil is when the lock ends; zero when unlocked. Block locks use
	// BlockedUntil.
	LockedUntil time.Time
}

// Locked reports whether the account is locked at now.
func (a Attempts) Locked(now time.Time) bool {
	return a.LockType != LockNone && a.LockedUntil.After(now)
}

// Blocked reports whether the account is locked at now with a block lock,
// which only an operator lifts.
func (a Attempts) Blocked(now time.Time) bool {
	return a.Locked(now) && a.LockType == LockBlock
}

// BlockedUntil is the LockedUntil of a block lock: "until an operator
// lifts it".
var BlockedUntil = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// AttemptPolicy configures Store.ReserveAttempt.
type AttemptPolicy struct {
	// Limit is the number of checks that may be counted in one window.
	Limit int
	// Window is how long failures are remembered.
	Window time.Duration
	// Bypass lets checks proceed while a lock of this type is active
	// (LockNone: never).
	Bypass LockType
}

// AttemptResult is what Store.ReserveAttempt decided.
type AttemptResult struct {
	// Allowed is true when the check may proceed; it has been counted.
	Allowed bool
	// Count is the number of checks counted in the window after this call.
	Count int
	// State is the account's state after this call.
	State Attempts
}

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
