package storetest

import (
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

var attemptCases = []testCase{
	{"ReserveAttempt counts Limit checks per window, then refuses without counting", testReserveLimit},
	{"ReserveAttempt starts a fresh count once the window has passed", testReserveWindow},
	{"ReserveAttempt refuses while locked and starts a fresh count once the lock has expired", testReserveLocked},
	{"ReserveAttempt bypasses only a lock of the Bypass type and still counts", testReserveBypass},
	{"Lock locks only once the failures reach the limit and the account is not locked", testLockAtLimit},
	{"Lock with limit 0 locks unconditionally", testLockUnconditional},
	{"ClearAttempts removes the count and the lock", testClearAttempts},
	{"ClearAttempts keeps a block lock with its count; LiftLocks removes every lock", testClearKeepsBlock},
	{"ReserveAttempt counts under a ref that names no account", testReserveWithoutAccount},
	{"PruneAttempts deletes only records that no longer count, up to its limit", testPruneAttempts},
}

var policy = store.AttemptPolicy{Limit: 3, Window: 15 * time.Minute}

// reserve calls ReserveAttempt and checks Allowed and Count.
func reserve(t *testing.T, s store.Store, uid string, p store.AttemptPolicy, now time.Time, allowed bool, count int) store.AttemptResult {
	t.Helper()
	res, err := s.ReserveAttempt(t.Context(), ref(uid), p, now)
	if err != nil {
		t.Fatalf("ReserveAttempt: %v", err)
	}
	if res.Allowed != allowed || res.Count != count {
		t.Fatalf("ReserveAttempt(%s at +%v) = allowed %v count %d, want %v and %d (state %+v)",
			uid, now.Sub(t0), res.Allowed, res.Count, allowed, count, res.State)
	}
	return res
}

func attempts(t *testing.T, s store.Store, uid string) (store.Attempts, bool) {
	t.Helper()
	a, found, err := s.Attempts(t.Context(), ref(uid))
	if err != nil {
		t.Fatalf("Attempts: %v", err)
	}
	return a, found
}

// lock calls Tx.Lock in its own transaction.
func lock(t *testing.T, s store.Store, uid string, limit int, typ store.LockType, until, now time.Time) bool {
	t.Helper()
	var locked bool
	update(t, s, func(tx store.Tx) error {
		var err error
		locked, err = tx.Lock(ref(uid), limit, typ, until, now)
		return err
	})
	return locked
}

func checkAttempts(t *testing.T, what string, got, want store.Attempts) {
	t.Helper()
	sameTime(t, what+" WindowStart", got.WindowStart, want.WindowStart)
	sameTime(t, what+" LockedUntil", got.LockedUntil, want.LockedUntil)
	if got.Failures != want.Failures || got.LockType != want.LockType {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
}

func testReserveLimit(t *testing.T, s store.Store) {
	createAccounts(t, s, account("u1", "", "", ""), account("u2", "x@example.com", "", ""))
	start := t0.In(ist)
	for i := 1; i <= 3; i++ {
		res := reserve(t, s, "u1", policy, start.Add(time.Duration(i-1)*time.Minute), true, i)
		checkAttempts(t, "State", res.State, store.Attempts{Failures: i, WindowStart: start})
	}
	for range 3 {
		res := reserve(t, s, "u1", policy, start.Add(5*time.Minute), false, 3)
		checkAttempts(t, "refused State", res.State, store.Attempts{Failures: 3, WindowStart: start})
	}
	got, found := attempts(t, s, "u1")
	if !found {
		t.Fatal("Attempts after three checks: not found")
	}
	checkAttempts(t, "Attempts", got, store.Attempts{Failures: 3, WindowStart: start})

	// Counters are per account.
	reserve(t, s, "u2", policy, start, true, 1)
	if _, found := attempts(t, s, "u3"); found {
		t.Error("Attempts of an account without checks: found")
	}
	// A limit of 0 allows nothing.
	reserve(t, s, "u2", store.AttemptPolicy{Limit: 0, Window: time.Hour}, start, false, 1)
}

func testReserveWindow(t *testing.T, s store.Store) {
	createAccounts(t, s, account("u1", "", "", ""))
	for i := 1; i <= 3; i++ {
		reserve(t, s, "u1", policy, ms, true, i)
	}
	reserve(t, s, "u1", policy, ms.Add(policy.Window-time.Millisecond), false, 3)
	later := ms.Add(policy.Window)
	res := reserve(t, s, "u1", policy, later, true, 1)
	checkAttempts(t, "State after the window", res.State, store.Attempts{Failures: 1, WindowStart: later})
	reserve(t, s, "u1", policy, later.Add(time.Minute), true, 2)
}

func testReserveLocked(t *testing.T, s store.Store) {
	createAccounts(t, s, account("u1", "", "", ""))
	reserve(t, s, "u1", policy, ms, true, 1)
	until := ms.Add(time.Hour)
	if !lock(t, s, "u1", 0, store.LockSuspend, until, ms) {
		t.Fatal("Lock(limit 0): not locked")
	}
	for _, now := range []time.Time{ms.Add(time.Minute), until.Add(-time.Millisecond)} {
		res := reserve(t, s, "u1", policy, now, false, res1(now, policy))
		if res.State.LockType != store.LockSuspend || !res.State.Locked(now) {
			t.Errorf("refused State = %+v, want a Suspend lock", res.State)
		}
	}
	got, _ := attempts(t, s, "u1")
	if got.Failures > 1 {
		t.Errorf("Failures while locked = %d: refused checks were counted", got.Failures)
	}

	res := reserve(t, s, "u1", policy, until, true, 1)
	checkAttempts(t, "State after the lock", res.State, store.Attempts{Failures: 1, WindowStart: until})
	got, _ = attempts(t, s, "u1")
	checkAttempts(t, "Attempts after the lock", got, store.Attempts{Failures: 1, WindowStart: until})
}

// res1 is the count a refused check reports when one failure was counted
// at ms: the failure while its window lasts, else none.
func res1(now time.Time, p store.AttemptPolicy) int {
	if now.Before(ms.Add(p.Window)) {
		return 1
	}
	return 0
}

func testReserveBypass(t *testing.T, s store.Store) {
	createAccounts(t, s, account("u-captcha", "", "", ""), account("u-suspend", "x@example.com", "", ""))
	until := t0.Add(time.Hour)
	for _, uid := range []string{"u-captcha", "u-suspend"} {
		for i := 1; i <= 3; i++ {
			reserve(t, s, uid, policy, t0, true, i)
		}
	}
	lock(t, s, "u-captcha", 3, store.LockCaptcha, until, t0)
	lock(t, s, "u-suspend", 3, store.LockSuspend, until, t0)
	now := t0.Add(time.Minute)

	withCaptcha := policy
	withCaptcha.Bypass = store.LockCaptcha
	withSuspend := policy
	withSuspend.Bypass = store.LockSuspend

	// A solved captcha passes a captcha lock and the limit, and is counted.
	res := reserve(t, s, "u-captcha", withCaptcha, now, true, 4)
	if !res.State.Locked(now) || res.State.LockType != store.LockCaptcha {
		t.Errorf("State after a bypass = %+v, want the captcha lock kept", res.State)
	}
	reserve(t, s, "u-captcha", withCaptcha, now, true, 5)
	// Other bypass types, or none, do not pass it.
	reserve(t, s, "u-captcha", withSuspend, now, false, 5)
	reserve(t, s, "u-captcha", policy, now, false, 5)
	// A captcha does not pass a suspension.
	reserve(t, s, "u-suspend", withCaptcha, now, false, 3)

	// Without a lock in force, Bypass does not lift the limit.
	createAccounts(t, s, account("u-nolock", "y@example.com", "", ""))
	for i := 1; i <= 3; i++ {
		reserve(t, s, "u-nolock", withCaptcha, t0, true, i)
	}
	reserve(t, s, "u-nolock", withCaptcha, t0, false, 3)
}

func testLockAtLimit(t *testing.T, s store.Store) {
	createAccounts(t, s, account("u1", "", "", ""))
	until := t0.Add(15 * time.Minute).In(ist)
	if lock(t, s, "u1", 3, store.LockSuspend, until, t0) {
		t.Error("Lock without failures: locked")
	}
	reserve(t, s, "u1", policy, t0, true, 1)
	reserve(t, s, "u1", policy, t0, true, 2)
	if lock(t, s, "u1", 3, store.LockSuspend, until, t0) {
		t.Error("Lock after 2 of 3 failures: locked")
	}
	if got, _ := attempts(t, s, "u1"); got.LockType != store.LockNone || got.Locked(t0) {
		t.Errorf("Attempts after a refused Lock = %+v, want no lock", got)
	}
	reserve(t, s, "u1", policy, t0, true, 3)
	if !lock(t, s, "u1", 3, store.LockSuspend, until, t0) {
		t.Fatal("Lock after 3 of 3 failures: not locked")
	}
	got, _ := attempts(t, s, "u1")
	checkAttempts(t, "Attempts after Lock", got, store.Attempts{Failures: 3, WindowStart: t0, LockType: store.LockSuspend, LockedUntil: until})

	// Already locked: nobody else locks, and the lock is unchanged.
	if lock(t, s, "u1", 3, store.LockBlock, until.Add(time.Hour), t0.Add(time.Minute)) {
		t.Error("Lock of a locked account: locked again")
	}
	got, _ = attempts(t, s, "u1")
	checkAttempts(t, "Attempts after a second Lock", got, store.Attempts{Failures: 3, WindowStart: t0, LockType: store.LockSuspend, LockedUntil: until})
}

func testLockUnconditional(t *testing.T, s store.Store) {
	createAccounts(t, s, account("u1", "", "", ""))
	far := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC) // a Block lock's "forever"
	if !lock(t, s, "u1", 0, store.LockBlock, far, t0) {
		t.Fatal("Lock(limit 0) of an account without failures: not locked")
	}
	got, found := attempts(t, s, "u1")
	if !found || !got.Locked(t0.Add(100*365*24*time.Hour)) {
		t.Errorf("Attempts after a Block lock = %+v, found %v; want locked far ahead", got, found)
	}
	sameTime(t, "LockedUntil", got.LockedUntil, far)
	if got.LockType != store.LockBlock {
		t.Errorf("LockType = %q, want Block", got.LockType)
	}
	if lock(t, s, "u1", 0, store.LockSuspend, t0.Add(time.Hour), t0) {
		t.Error("Lock(limit 0) of a locked account: locked again")
	}
	reserve(t, s, "u1", policy, t0.Add(time.Hour), false, 0)

	// A lock ends at LockedUntil: from that instant on it can be set anew.
	createAccounts(t, s, account("u2", "x@example.com", "", ""))
	until := ms.Add(time.Hour)
	if !lock(t, s, "u2", 0, store.LockSuspend, until, ms) {
		t.Fatal("Lock(limit 0): not locked")
	}
	if lock(t, s, "u2", 0, store.LockSuspend, until.Add(time.Hour), until.Add(-time.Millisecond)) {
		t.Error("Lock 1ms before the lock ends: locked again")
	}
	if !lock(t, s, "u2", 0, store.LockCaptcha, until.Add(time.Hour), until) {
		t.Error("Lock at the instant the lock ends: not locked")
	}
	got, _ = attempts(t, s, "u2")
	checkAttempts(t, "Attempts after relocking", got, store.Attempts{LockType: store.LockCaptcha, LockedUntil: until.Add(time.Hour)})
}

func testClearAttempts(t *testing.T, s store.Store) {
	createAccounts(t, s, account("u1", "", "", ""), account("u2", "x@example.com", "", ""))
	for _, uid := range []string{"u1", "u2"} {
		for i := 1; i <= 3; i++ {
			reserve(t, s, uid, policy, t0, true, i)
		}
		lock(t, s, uid, 3, store.LockSuspend, t0.Add(time.Hour), t0)
	}
	update(t, s, func(tx store.Tx) error { return tx.ClearAttempts(ref("u1")) })
	if got, found := attempts(t, s, "u1"); found || got != (store.Attempts{}) {
		t.Errorf("Attempts after ClearAttempts = %+v, found %v; want zero, not found", got, found)
	}
	reserve(t, s, "u1", policy, t0.Add(time.Minute), true, 1)
	if got, _ := attempts(t, s, "u2"); got.Failures != 3 || !got.Locked(t0) {
		t.Errorf("ClearAttempts of u1 changed u2: %+v", got)
	}
}

func testClearKeepsBlock(t *testing.T, s store.Store) {
	uids := []string{"u-susp", "u-capt", "u-block", "u-oper"}
	var accs []store.Account
	for _, uid := range uids {
		accs = append(accs, account(uid, "", "", ""))
	}
	createAccounts(t, s, accs...)
	for i, uid := range uids[:3] {
		for n := 1; n <= 3; n++ {
			reserve(t, s, uid, policy, t0, true, n)
		}
		lock(t, s, uid, 3, store.LockTypes[i], t0.Add(time.Hour), t0)
	}
	// An operator's block: limit 0, until an operator lifts it.
	lock(t, s, "u-oper", 0, store.LockBlock, store.BlockedUntil, t0)
	update(t, s, func(tx store.Tx) error {
		for _, uid := range uids {
			if err := tx.ClearAttempts(ref(uid)); err != nil {
				return err
			}
		}
		return nil
	})
	for _, uid := range uids[:2] {
		if got, found := attempts(t, s, uid); found {
			t.Errorf("%s after ClearAttempts = %+v; want no record", uid, got)
		}
	}
	checkAttempts(t, "block lock after ClearAttempts", mustAttempts(t, s, "u-block"),
		store.Attempts{Failures: 3, WindowStart: t0, LockType: store.LockBlock, LockedUntil: t0.Add(time.Hour)})
	checkAttempts(t, "operator's block after ClearAttempts", mustAttempts(t, s, "u-oper"),
		store.Attempts{LockType: store.LockBlock, LockedUntil: store.BlockedUntil})
	update(t, s, func(tx store.Tx) error {
		for _, uid := range uids[2:] {
			if err := tx.LiftLocks(ref(uid)); err != nil {
				return err
			}
		}
		return nil
	})
	for _, uid := range uids[2:] {
		if got, found := attempts(t, s, uid); found {
			t.Errorf("%s after LiftLocks = %+v; want no record", uid, got)
		}
	}
}

// mustAttempts is an account's attempts record, which must exist.
func mustAttempts(t *testing.T, s store.Store, uid string) store.Attempts {
	t.Helper()
	a, found := attempts(t, s, uid)
	if !found {
		t.Fatalf("%s has no attempts record", uid)
	}
	return a
}

func testReserveWithoutAccount(t *testing.T, s store.Store) {
	for i := 1; i <= policy.Limit; i++ {
		reserve(t, s, "~unknown", policy, t0.Add(time.Duration(i)*time.Second), true, i)
	}
	reserve(t, s, "~unknown", policy, t0.Add(time.Minute), false, policy.Limit)
	if !lock(t, s, "~unknown", policy.Limit, store.LockSuspend, t0.Add(time.Hour), t0.Add(time.Minute)) {
		t.Error("Lock of a ref that names no account did not lock")
	}
	if a, found := attempts(t, s, "~unknown"); !found || !a.Locked(t0.Add(2*time.Minute)) {
		t.Errorf("Attempts = %+v, %v; want locked", a, found)
	}
}

func testPruneAttempts(t *testing.T, s store.Store) {
	now := ms.Add(time.Hour)
	windowsBefore := now.Add(-policy.Window)
	// stale: a window that ended; lockEnded: a lock that ended, its
	// window too; recent: a window still open; locked: a lock in force
	// although its window ended; blocked: a lock far in the future.
	reserve(t, s, "stale", policy, ms, true, 1)
	for i := range policy.Limit {
		reserve(t, s, "lock-ended", policy, ms.Add(time.Duration(i)*time.Second), true, i+1)
		reserve(t, s, "locked", policy, ms.Add(time.Duration(i)*time.Second), true, i+1)
		reserve(t, s, "blocked", policy, ms.Add(time.Duration(i)*time.Second), true, i+1)
	}
	lock(t, s, "lock-ended", policy.Limit, store.LockSuspend, now.Add(-time.Second), ms.Add(time.Minute))
	lock(t, s, "locked", policy.Limit, store.LockCaptcha, now.Add(time.Second), ms.Add(time.Minute))
	lock(t, s, "blocked", policy.Limit, store.LockBlock, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), ms.Add(time.Minute))
	reserve(t, s, "recent", policy, windowsBefore, true, 1) // starts exactly at the bound: it counts

	n, err := s.PruneAttempts(t.Context(), windowsBefore, now, 1)
	if err != nil || n != 1 {
		t.Fatalf("PruneAttempts(limit 1) = %d, %v; want 1", n, err)
	}
	n, err = s.PruneAttempts(t.Context(), windowsBefore, now, 100)
	if err != nil || n != 1 {
		t.Fatalf("PruneAttempts = %d, %v; want the other stale record", n, err)
	}
	for uid, want := range map[string]bool{"stale": false, "lock-ended": false, "recent": true, "locked": true, "blocked": true} {
		if _, found := attempts(t, s, uid); found != want {
			t.Errorf("after PruneAttempts, %s found = %v, want %v", uid, found, want)
		}
	}
	if n, err := s.PruneAttempts(t.Context(), windowsBefore, now, 0); n != 0 || err != nil {
		t.Errorf("PruneAttempts(limit 0) = %d, %v", n, err)
	}
	// What is left still counts as before.
	reserve(t, s, "recent", policy, now.Add(-time.Second), true, 2)
	reserve(t, s, "locked", policy, now, false, 0) // refused: the lock holds (its window ended)
}
