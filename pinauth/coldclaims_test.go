package pinauth

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/cache"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/sqlite"
)

// Issue 22: a token a gateway has not seen is served from its claims, and
// every change that must stop it or change its headers does so on the next
// request, on the gateway that made it and on any other.

// sidOf is the session an access token names.
func (e *testEnv) sidOf(tok string) string {
	e.t.Helper()
	c, err := e.gw.tokens.Parse(e.t.Context(), tok)
	if err != nil {
		e.t.Fatal(err)
	}
	return c.SID
}

// trusting waits until e trusts the claims of account uid's tokens: the
// login that made a token saved the account (its counters), which makes
// its claims suspect until the next read of the journal tells they did
// not change.
func (e *testEnv) trusting(uid string) {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !e.gw.cache.TrustsClaims(cache.ProfileKey("demo", uid)) {
		if time.Now().After(deadline) {
			e.t.Fatal("the claims were not trusted within 5s of the login")
		}
		time.Sleep(5 * time.Millisecond) // pacing a poll of the journal reader's progress
	}
}

func TestAColdTokenIsServedFromItsClaimsWithoutReadingItsSessionOrAccount(t *testing.T) {
	t.Parallel()
	a, b := twoGatewaysOnOneStore(t)
	login := a.loggedIn(testEmail)
	tok := login.str("access_token")
	b.trusting(uidOf(login))
	r := b.protected(tok)
	if r.status != 200 {
		t.Fatalf("cold token on the other gateway: %d %s", r.status, r.raw)
	}
	calls := b.upstream.calls()
	got := calls[len(calls)-1]
	if got.Get("X-Auth-Email") != testEmail || got.Get("X-Auth-Uid") != uidOf(login) || got.Get("X-Auth-Tenant") != "demo" {
		t.Errorf("identity headers from the claims: %v", got)
	}
	b.gw.cache.Wait()
	if b.gw.cache.SessionCached(b.sidOf(tok)) {
		t.Error("the session was read from the store: the claims were not trusted")
	}
	if _, ok := b.gw.cache.Profile(cache.ProfileKey("demo", uidOf(login))); ok {
		t.Error("the account was read from the store: the claims were not trusted")
	}
}

// revocations are the changes that must stop a token at once.
var revocations = []struct {
	name string
	do   func(e *testEnv, login response) response
}{
	{"logout", func(e *testEnv, login response) response {
		return e.do("GET", api("auth/access_token/invalidate"), nil, withToken(login.str("access_token"))...)
	}},
	{"block", func(e *testEnv, login response) response {
		return e.manage("PUT", uidOf(login), map[string]any{"IsActive": false})
	}},
	{"delete", func(e *testEnv, login response) response { return e.manage("DELETE", uidOf(login), nil) }},
}

func TestEveryRevocationStopsAColdTokenOnTheNextRequestOfBothGateways(t *testing.T) {
	t.Parallel()
	for _, rv := range revocations {
		t.Run(rv.name, func(t *testing.T) {
			t.Parallel()
			a, b := twoGatewaysOnOneStore(t)
			login := a.loggedIn(testEmail)
			tok := login.str("access_token")
			a.trusting(uidOf(login))
			b.trusting(uidOf(login))
			wantOK(t, rv.name, rv.do(a, login))
			for name, e := range map[string]*testEnv{"same": a, "other": b} {
				if r := e.protected(tok); r.status != 401 && r.status != 403 {
					t.Errorf("%s gateway, next request after %s: %d %s", name, rv.name, r.status, r.raw)
				}
			}
		})
	}
}

func TestARevocationByAnotherProcessStopsAColdTokenWithinASecond(t *testing.T) {
	t.Parallel()
	for _, rv := range revocations {
		t.Run(rv.name, func(t *testing.T) {
			t.Parallel()
			// Two stores on one file hear nothing of each other: only the
			// journal tells.
			stores := twoStoresOnOneFile(t)
			a, b := newTestEnvOn(t, stores[0]), newTestEnvOn(t, stores[1])
			login := a.loggedIn(testEmail)
			tok := login.str("access_token")
			b.trusting(uidOf(login))
			start := time.Now()
			wantOK(t, rv.name, rv.do(a, login))
			t.Logf("refused %v after the %s", rejectedWithin(t, b, tok, start, time.Second), rv.name)
		})
	}
}

func TestAProfileChangeReachesTheHeadersOfAColdTokenOnTheNextRequest(t *testing.T) {
	t.Parallel()
	a, b := twoGatewaysOnOneStore(t)
	login := a.loggedIn(testEmail)
	tok := login.str("access_token")
	b.trusting(uidOf(login))
	wantOK(t, "update", a.manage("PUT", uidOf(login), map[string]any{"FirstName": "Alicia", "Roles": []string{"auditor"}}))
	if r := b.protected(tok); r.status != 200 {
		t.Fatalf("after the update: %d %s", r.status, r.raw)
	}
	calls := b.upstream.calls()
	got := calls[len(calls)-1]
	if got.Get("X-Auth-Name") != "Alicia Smith" || got.Get("X-Auth-Roles") != "auditor" {
		t.Errorf("headers after the update: name %q roles %q, want the new ones", got.Get("X-Auth-Name"), got.Get("X-Auth-Roles"))
	}
}

func TestAGatewayStartedAfterARevocationRefusesTheTokenAtOnce(t *testing.T) {
	t.Parallel()
	for _, rv := range revocations {
		t.Run(rv.name, func(t *testing.T) {
			t.Parallel()
			stores := twoStoresOnOneFile(t)
			a := newTestEnvOn(t, stores[0])
			login := a.loggedIn(testEmail)
			tok := login.str("access_token")
			wantOK(t, rv.name, rv.do(a, login))
			// The gateway (re)starting after the change: announcements
			// of it are long gone.
			b := newTestEnvOn(t, stores[1])
			if r := b.protected(tok); r.status != 401 && r.status != 403 {
				t.Errorf("a gateway started after the %s accepted the token: %d %s", rv.name, r.status, r.raw)
			}
		})
	}
}

func TestAGatewayThatCannotReadTheJournalServesFromTheStore(t *testing.T) {
	t.Parallel()
	st := &failingJournal{}
	var err error
	if st.Store, err = sqlite.Open(filepath.Join(t.TempDir(), "pinauth.db")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a := newTestEnvOn(t, st.Store)
	st.fail.Store(true)
	b := newTestEnvOn(t, st)
	login := a.loggedIn(testEmail)
	tok := login.str("access_token")
	if b.gw.cache.TrustsClaims(cache.ProfileKey("demo", uidOf(login))) {
		t.Fatal("claims trusted by a gateway that never read the journal")
	}
	if r := b.protected(tok); r.status != 200 {
		t.Fatalf("cold token while claims are untrusted: %d %s", r.status, r.raw)
	}
	b.gw.cache.Wait()
	if !b.gw.cache.SessionCached(b.sidOf(tok)) {
		t.Error("claims untrusted, yet the session was not read from the store")
	}
	// Once it reads the journal, it trusts them.
	st.fail.Store(false)
	b.trusting(uidOf(login))
}

// failingJournal is a store whose journal cannot be read while fail is set,
// as when the database answers some queries and not others.
type failingJournal struct {
	*sqlite.Store
	fail atomic.Bool
}

func (f *failingJournal) Changes(ctx context.Context, since time.Time) (store.Changes, error) {
	if f.fail.Load() {
		return store.Changes{}, errors.New("journal unreadable")
	}
	return f.Store.Changes(ctx, since)
}

func TestAProfileChangeByAnotherProcessOrBeforeARestartReachesTheHeadersOfAColdToken(t *testing.T) {
	t.Parallel()
	stores := twoStoresOnOneFile(t)
	a, b := newTestEnvOn(t, stores[0]), newTestEnvOn(t, stores[1])
	login := a.loggedIn(testEmail)
	tok := login.str("access_token")
	b.trusting(uidOf(login))
	start := time.Now()
	wantOK(t, "update", a.manage("PUT", uidOf(login), map[string]any{"FirstName": "Alicia"}))
	// Another process: only the journal tells b, within a second.
	for name := ""; name != "Alicia Smith"; {
		if r := b.protected(tok); r.status != 200 {
			t.Fatalf("after the update: %d %s", r.status, r.raw)
		}
		calls := b.upstream.calls()
		name = calls[len(calls)-1].Get("X-Auth-Name")
		if time.Since(start) > time.Second {
			t.Fatalf("the other process still forwarded %q a second after the update", name)
		}
	}
	// A gateway (re)started after the change, long after any
	// announcement, and long after the journal was read as suspect:
	// the journal it loads at start marks the account.
	c := newTestEnvOn(t, stores[1])
	if r := c.protected(tok); r.status != 200 {
		t.Fatalf("restarted gateway: %d %s", r.status, r.raw)
	}
	calls := c.upstream.calls()
	if name := calls[len(calls)-1].Get("X-Auth-Name"); name != "Alicia Smith" {
		t.Errorf("a gateway started after the update forwarded the token's old name %q", name)
	}
}
