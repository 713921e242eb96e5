package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

var updateCases = []testCase{
	{"Update rolls back every write when fn fails and returns that very error", testUpdateRollback},
	{"Update rolls back when fn panics and the store keeps working", testUpdatePanic},
	{"readers see only committed writes", testReadersSeeCommittedOnly},
	{"times of every record come back in UTC within a millisecond", testTimesUTC},
	{"every method returns ErrClosed after Close", testClosed},
}

func testUpdateRollback(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, account("u-old", "old@example.com", "", ""))
	createSessions(t, s, session("s-old", "u-old"))
	insertTokens(t, s, token("h-old", store.TokenRefresh, "u-old", "s-old"))
	reserve(t, s, "u-old", policy, t0, true, 1)
	old := mustAccount(t, s, tenantA, "u-old")

	want := &sentinelError{n: 1}
	err := s.Update(ctx, func(tx store.Tx) error {
		steps := []func() error{
			func() error { return tx.CreateAccount(account("u-new", "new@example.com", "newbie", "+1")) },
			func() error {
				a := old
				a.Emails = []store.Email{{Type: "Primary", Value: "changed@example.com"}}
				a.NoOfLogins = 9
				_, err := tx.SaveAccount(a)
				return err
			},
			func() error { return tx.InsertToken(token("h-new", store.TokenOTP, "u-old", "")) },
			func() error {
				_, found, err := tx.ConsumeToken(store.TokenRefresh, "h-old", t0)
				if !found {
					return errors.New("ConsumeToken(h-old): not found")
				}
				return err
			},
			func() error { return tx.CreateSession(session("s-new", "u-old")) },
			func() error { _, err := tx.RevokeSession("s-old", t0); return err },
			func() error { _, err := tx.Lock(ref("u-old"), 0, store.LockBlock, t0.Add(time.Hour), t0); return err },
			func() error { return tx.AddEvent(event("e-new", tenantA, "u-old", store.EventPending, t0)) },
		}
		for i, step := range steps {
			if err := step(); err != nil {
				return fmt.Errorf("step %d: %w", i, err)
			}
		}
		return want
	})
	if err != want {
		t.Fatalf("Update returned %v (%T), want the error fn returned, unchanged", err, err)
	}

	if _, found, _ := s.Account(ctx, tenantA, "u-new"); found {
		t.Error("rolled-back CreateAccount is visible")
	}
	if uidBy(t, s, tenantA, store.IdentUsername, "newbie") != "" {
		t.Error("rolled-back identifiers are visible")
	}
	checkAccount(t, mustAccount(t, s, tenantA, "u-old"), old)
	if uidBy(t, s, tenantA, store.IdentEmail, "old@example.com") != "u-old" || uidBy(t, s, tenantA, store.IdentEmail, "changed@example.com") != "" {
		t.Error("rolled-back SaveAccount changed the identifiers")
	}
	if tokenExists(t, s, store.TokenOTP, "h-new") {
		t.Error("rolled-back InsertToken is visible")
	}
	if tok := mustToken(t, s, store.TokenRefresh, "h-old"); !tok.UsedAt.IsZero() {
		t.Error("rolled-back ConsumeToken marked the token used")
	}
	if _, found, _ := s.Session(ctx, "s-new"); found {
		t.Error("rolled-back CreateSession is visible")
	}
	if ses := mustSession(t, s, "s-old"); !ses.RevokedAt.IsZero() {
		t.Error("rolled-back RevokeSession revoked the session")
	}
	if got, _ := attempts(t, s, "u-old"); got.LockType != store.LockNone || got.Failures != 1 {
		t.Errorf("rolled-back Lock left attempts %+v", got)
	}
	if ids := eventIDs(t, s, store.EventFilter{}); len(ids) != 0 {
		t.Errorf("rolled-back AddEvent is visible: %v", ids)
	}
}

func testUpdatePanic(t *testing.T, s store.Store) {
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Update swallowed fn's panic")
			}
		}()
		s.Update(t.Context(), func(tx store.Tx) error {
			if err := tx.CreateAccount(account("u-panic", "panic@example.com", "", "")); err != nil {
				return err
			}
			panic("storetest: fn panics")
		})
	}()
	if _, found, _ := s.Account(t.Context(), tenantA, "u-panic"); found {
		t.Error("the write of a panicking fn was committed")
	}
	// The store is not wedged: writes still work, and the email is free.
	createAccounts(t, s, account("u-after", "panic@example.com", "", ""))
	if _, err := s.ReserveAttempt(t.Context(), ref("u-after"), policy, t0); err != nil {
		t.Errorf("ReserveAttempt after a panic: %v", err)
	}
}

func testReadersSeeCommittedOnly(t *testing.T, s store.Store) {
	ctx := t.Context()
	update(t, s, func(tx store.Tx) error {
		if err := tx.CreateAccount(account("u1", "one@example.com", "", "")); err != nil {
			return err
		}
		if err := tx.AddEvent(event("e1", tenantA, "u1", store.EventPending, t0)); err != nil {
			return err
		}
		if _, found, err := s.Account(ctx, tenantA, "u1"); found || err != nil {
			t.Errorf("Reader.Account saw an uncommitted account (found %v, err %v)", found, err)
		}
		if evs, err := s.Events(ctx, store.EventFilter{}); len(evs) != 0 || err != nil {
			t.Errorf("Reader.Events saw %d uncommitted events (err %v)", len(evs), err)
		}
		return nil
	})
	mustAccount(t, s, tenantA, "u1")
	if ids := eventIDs(t, s, store.EventFilter{}); len(ids) != 1 {
		t.Errorf("Events after commit = %v, want [e1]", ids)
	}
}

func testTimesUTC(t *testing.T, s store.Store) {
	ctx := t.Context()
	at := t0.In(ist)
	createAccounts(t, s, account("u1", "", "", ""))
	tok := store.Token{Hash: "h1", Kind: store.TokenRefresh, Tenant: tenantA, UID: "u1", CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
	insertTokens(t, s, tok)
	createSessions(t, s, store.Session{ID: "s1", Tenant: tenantA, UID: "u1", CreatedAt: at, ExpiresAt: at.Add(time.Hour)})
	addKey(t, s, store.Key{ID: "k1", Alg: "HS256", Private: []byte("k"), PepperID: "p", CreatedAt: at}, false)
	addEvents(t, s, store.Event{ID: "e1", Tenant: tenantA, UID: "u1", Hook: "Login", CreatedAt: at, State: store.EventPending, NextAttemptAt: at})
	res, err := s.ReserveAttempt(ctx, ref("u1"), policy, at)
	if err != nil {
		t.Fatal(err)
	}
	sameTime(t, "ReserveAttempt State.WindowStart", res.State.WindowStart, at)
	lock(t, s, "u1", 1, store.LockSuspend, at.Add(time.Hour), at)
	used, found := consume(t, s, store.TokenRefresh, "h1", at.Add(time.Minute))
	if !found {
		t.Fatal("ConsumeToken: not found")
	}
	sameTime(t, "ConsumeToken UsedAt", used.UsedAt, at.Add(time.Minute))
	update(t, s, func(tx store.Tx) error { _, err := tx.RevokeSession("s1", at.Add(time.Minute)); return err })
	if _, err := s.RetireKey(ctx, "k1", at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}

	stored := mustToken(t, s, store.TokenRefresh, "h1")
	sameTime(t, "token CreatedAt", stored.CreatedAt, at)
	sameTime(t, "token ExpiresAt", stored.ExpiresAt, at.Add(time.Hour))
	sameTime(t, "token UsedAt", stored.UsedAt, at.Add(time.Minute))
	ses := mustSession(t, s, "s1")
	sameTime(t, "session CreatedAt", ses.CreatedAt, at)
	sameTime(t, "session RevokedAt", ses.RevokedAt, at.Add(time.Minute))
	keys, err := s.Keys(ctx)
	if err != nil || len(keys) != 1 {
		t.Fatalf("Keys = %d, err %v", len(keys), err)
	}
	sameTime(t, "key CreatedAt", keys[0].CreatedAt, at)
	sameTime(t, "key RetiredAt", keys[0].RetiredAt, at.Add(time.Minute))
	evs, err := s.Events(ctx, store.EventFilter{})
	if err != nil || len(evs) != 1 {
		t.Fatalf("Events = %d, err %v", len(evs), err)
	}
	sameTime(t, "event CreatedAt", evs[0].CreatedAt, at)
	sameTime(t, "event NextAttemptAt", evs[0].NextAttemptAt, at)
	att, _ := attempts(t, s, "u1")
	sameTime(t, "attempts WindowStart", att.WindowStart, at)
	sameTime(t, "attempts LockedUntil", att.LockedUntil, at.Add(time.Hour))
}

func testClosed(t *testing.T, s store.Store) {
	ctx := t.Context()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	errs := map[string]error{}
	_, _, errs["Account"] = s.Account(ctx, tenantA, "u1")
	_, _, errs["AccountBy"] = s.AccountBy(ctx, tenantA, store.IdentEmail, "a@example.com")
	_, errs["ListAccounts"] = s.ListAccounts(ctx, tenantA, "", 10)
	_, errs["CountAccounts"] = s.CountAccounts(ctx, "")
	_, _, errs["Attempts"] = s.Attempts(ctx, ref("u1"))
	_, _, errs["Token"] = s.Token(ctx, store.TokenRefresh, "h")
	_, _, errs["Session"] = s.Session(ctx, "s")
	_, errs["Keys"] = s.Keys(ctx)
	_, _, errs["Meta"] = s.Meta(ctx, "k")
	_, errs["Events"] = s.Events(ctx, store.EventFilter{})
	_, errs["CountEvents"] = s.CountEvents(ctx, store.EventPending)
	_, errs["CountHashes"] = s.CountHashes(ctx, "")
	ran := false
	errs["Update"] = s.Update(ctx, func(tx store.Tx) error { ran = true; return nil })
	_, errs["ReserveAttempt"] = s.ReserveAttempt(ctx, ref("u1"), policy, t0)
	_, errs["AddKey"] = s.AddKey(ctx, key("k", "EdDSA", t0), true)
	_, errs["RetireKey"] = s.RetireKey(ctx, "k", t0)
	_, errs["SetMetaIfAbsent"] = s.SetMetaIfAbsent(ctx, "k", "v")
	errs["SetMeta"] = s.SetMeta(ctx, "k", "v")
	for name, err := range errs {
		if !errors.Is(err, store.ErrClosed) {
			t.Errorf("%s after Close: err = %v, want ErrClosed", name, err)
		}
	}
	if ran {
		t.Error("Update ran fn after Close")
	}
}
