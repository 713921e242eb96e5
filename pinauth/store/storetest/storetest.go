// Package storetest is the conformance suite every store.Store backend
// runs: one subtest per contract of package store, each on a fresh store,
// including the concurrency cases that security depends on (a one-time
// token taken once, exact attempt counting, one lock per lockout).
//
// The suite uses only the store interface, so it holds a backend to the
// contract, not to how the SQLite backend happens to behave.
package storetest

import (
	"bytes"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// A testCase is one contract check; it gets a fresh, empty store.
type testCase struct {
	name string
	fn   func(t *testing.T, s store.Store)
}

// Run runs the suite. open must return a new, empty store for the test it
// is given and arrange for its Close (t.Cleanup); it is called once per
// subtest, from parallel subtests. A store the suite closed itself may be
// closed again by that cleanup.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	groups := [][]testCase{
		accountCases, identifierCases, nameCases, tokenCases, sessionCases, attemptCases,
		keyCases, eventCases, outboxCases, updateCases, concurrencyCases, notifyCases, quotaCases,
		hashCountCases, roleCases, changeCases, verificationCases,
	}
	for _, g := range groups {
		for _, c := range g {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				c.fn(t, open(t))
			})
		}
	}
}

// t0 has sub-millisecond digits so that precision loss shows.
var t0 = time.Date(2031, 3, 4, 5, 6, 7, 891_234_567, time.UTC)

// ms is t0 on a whole millisecond: any backend stores it exactly, so tests
// of boundaries (expiry at exactly ExpiresAt) can compare instants exactly.
var ms = t0.Truncate(time.Millisecond)

// ist is a non-UTC zone: times given in it must come back in UTC.
var ist = time.FixedZone("IST", 5*3600+1800)

const (
	tenantA = "acme"
	tenantB = "globex"
)

// account returns a minimal account of tenantA.
func account(uid, email, username, phone string) store.Account {
	a := store.Account{Tenant: tenantA, UID: uid, Username: username, Phone: phone, CreatedAt: t0, Active: true}
	if email != "" {
		a.Emails = []store.Email{{Type: "Primary", Value: email}}
	}
	return a
}

func ref(uid string) store.AccountRef { return store.AccountRef{Tenant: tenantA, UID: uid} }

// update runs fn in s.Update and fails the test on an error.
func update(t *testing.T, s store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.Update(t.Context(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func createAccounts(t *testing.T, s store.Store, as ...store.Account) {
	t.Helper()
	update(t, s, func(tx store.Tx) error {
		for _, a := range as {
			if err := tx.CreateAccount(a); err != nil {
				return fmt.Errorf("CreateAccount(%s): %w", a.UID, err)
			}
		}
		return nil
	})
}

func insertTokens(t *testing.T, s store.Store, ts ...store.Token) {
	t.Helper()
	update(t, s, func(tx store.Tx) error {
		for _, tok := range ts {
			if err := tx.InsertToken(tok); err != nil {
				return fmt.Errorf("InsertToken(%s): %w", tok.Hash, err)
			}
		}
		return nil
	})
}

func createSessions(t *testing.T, s store.Store, ss ...store.Session) {
	t.Helper()
	update(t, s, func(tx store.Tx) error {
		for _, ses := range ss {
			if err := tx.CreateSession(ses); err != nil {
				return fmt.Errorf("CreateSession(%s): %w", ses.ID, err)
			}
		}
		return nil
	})
}

// mustAccount returns the stored account or fails the test.
func mustAccount(t *testing.T, s store.Store, tenant, uid string) store.Account {
	t.Helper()
	a, found, err := s.Account(t.Context(), tenant, uid)
	if err != nil || !found {
		t.Fatalf("Account(%s, %s) = found %v, err %v; want found", tenant, uid, found, err)
	}
	return a
}

// uidBy returns the uid AccountBy finds, "" for none.
func uidBy(t *testing.T, s store.Store, tenant string, kind store.IdentifierKind, value string) string {
	t.Helper()
	a, found, err := s.AccountBy(t.Context(), tenant, kind, value)
	if err != nil {
		t.Fatalf("AccountBy(%s, %s, %q): %v", tenant, kind, value, err)
	}
	if !found {
		return ""
	}
	return a.UID
}

func tokenExists(t *testing.T, s store.Store, kind store.TokenKind, hash string) bool {
	t.Helper()
	_, found, err := s.Token(t.Context(), kind, hash)
	if err != nil {
		t.Fatalf("Token(%s, %s): %v", kind, hash, err)
	}
	return found
}

// sameTime checks the time contract: zero stays zero; anything else comes
// back in UTC and within a millisecond of what was written.
func sameTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if want.IsZero() {
		if !got.IsZero() {
			t.Errorf("%s = %v, want the zero time", what, got)
		}
		return
	}
	if got.Location() != time.UTC {
		t.Errorf("%s is in %v, want UTC", what, got.Location())
	}
	if d := got.Sub(want); d <= -time.Millisecond || d >= time.Millisecond {
		t.Errorf("%s = %v, want %v (within 1ms)", what, got, want.UTC())
	}
}

// checkAccount compares every field: times with sameTime, profile values
// byte for byte, nil and empty collections as equal.
func checkAccount(t *testing.T, got, want store.Account) {
	t.Helper()
	for _, f := range []struct {
		name string
		g, w *time.Time
	}{
		{"PINChangedAt", &got.PINChangedAt, &want.PINChangedAt},
		{"PINSkippedAt", &got.PINSkippedAt, &want.PINSkippedAt},
		{"LastLoginAt", &got.LastLoginAt, &want.LastLoginAt},
		{"CreatedAt", &got.CreatedAt, &want.CreatedAt},
		{"ModifiedAt", &got.ModifiedAt, &want.ModifiedAt},
	} {
		sameTime(t, "account "+want.UID+" "+f.name, *f.g, *f.w)
		*f.g, *f.w = time.Time{}, time.Time{}
	}
	if len(got.Profile) != len(want.Profile) {
		t.Errorf("account %s Profile has %d keys, want %d", want.UID, len(got.Profile), len(want.Profile))
	}
	for k, v := range want.Profile {
		if g, ok := got.Profile[k]; !ok || !bytes.Equal(g, v) {
			t.Errorf("account %s Profile[%q] = %q (present %v), want %q", want.UID, k, g, ok, v)
		}
	}
	got.Profile, want.Profile = nil, nil
	for _, a := range []*store.Account{&got, &want} {
		if len(a.Emails) == 0 {
			a.Emails = nil
		}
		if len(a.UnverifiedEmails) == 0 {
			a.UnverifiedEmails = nil
		}
		if len(a.Roles) == 0 {
			a.Roles = nil
		}
		if len(a.SecurityAnswers) == 0 {
			a.SecurityAnswers = nil
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("account %s:\n got  %+v\n want %+v", want.UID, got, want)
	}
}

// together runs fn(0..n-1) in n goroutines released at once, and returns
// when all are done.
func together(n int, fn func(i int)) {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			fn(i)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
}

// countTrue runs fn(0..n-1) together, reports the errors they return and
// returns how many returned true.
func countTrue(t *testing.T, n int, fn func(i int) (bool, error)) int {
	t.Helper()
	oks := make([]bool, n)
	errs := make([]error, n)
	together(n, func(i int) { oks[i], errs[i] = fn(i) })
	got := 0
	for i := range n {
		if errs[i] != nil {
			t.Errorf("goroutine %d: %v", i, errs[i])
		}
		if oks[i] {
			got++
		}
	}
	return got
}

// wantDuplicate checks that err is a *store.DuplicateError for field.
func wantDuplicate(t *testing.T, what string, err error, field string) {
	t.Helper()
	d, ok := store.IsDuplicate(err)
	if !ok {
		t.Errorf("%s: err = %v, want a *DuplicateError for %q", what, err, field)
		return
	}
	if d.Field != field {
		t.Errorf("%s: DuplicateError.Field = %q, want %q", what, d.Field, field)
	}
}

// errSentinel is what fn returns in the rollback tests; Update must hand
// back this very value.
type sentinelError struct{ n int }

func (e *sentinelError) Error() string { return fmt.Sprintf("storetest: sentinel %d", e.n) }
