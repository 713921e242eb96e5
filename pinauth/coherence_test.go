package pinauth

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres"
	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres/pgtest"
	"github.com/pinauth/caddy-pinauth/pinauth/store/sqlite"
)

// twoGatewaysOnOneStore returns two gateways sharing one SQLite store, as
// the old and new config generations do during a reload.
func twoGatewaysOnOneStore(t *testing.T) (a, b *testEnv) {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "pinauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newTestEnvOn(t, st), newTestEnvOn(t, st)
}

// cached reports whether e's gateway serves tok from its token cache.
func (e *testEnv) cached(tok string) bool {
	e.gw.cache.Wait()
	_, ok := e.gw.cache.Token(tok)
	return ok
}

// cache makes e's gateway verify and cache tok. On PostgreSQL the
// announcements of the logins that made tok arrive asynchronously, and one
// arriving during a verification keeps its result out of the cache, so it
// tries until the token is cached.
func (e *testEnv) cache(tok string) {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if r := e.protected(tok); r.status != 200 {
			e.t.Fatalf("token: %d %s", r.status, r.raw)
		}
		if e.cached(tok) {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatal("the token was never cached")
		}
	}
}

func (e *testEnv) manage(method, uid string, body any) response {
	e.t.Helper()
	return e.do(method, "/identity/v2/manage/account/"+uid+"?apikey="+testKey+"&apisecret="+testSecret, body)
}

func TestBlockingAnAccountOnOneGatewayStopsTheTokenCachedByAnother(t *testing.T) {
	t.Parallel()
	a, b := twoGatewaysOnOneStore(t)
	login := a.loggedIn(testEmail)
	tok := login.str("access_token")
	b.cache(tok)
	if r := a.manage("PUT", uidOf(login), map[string]any{"IsActive": false}); r.status != 200 {
		t.Fatalf("block: %d %s", r.status, r.raw)
	}
	// The block revoked the session: 401 with 905.
	if r := b.protected(tok); r.status != 401 || r.code() != 905 {
		t.Fatalf("after the block on one gateway, the other answered %d %s; want 401/905", r.status, r.raw)
	}
}

func TestAProfileChangeOnOneGatewayIsServedByAnother(t *testing.T) {
	t.Parallel()
	a, b := twoGatewaysOnOneStore(t)
	login := a.loggedIn(testEmail)
	tok := login.str("access_token")
	b.cache(tok)
	if r := a.manage("PUT", uidOf(login), map[string]any{"FirstName": "Alicia"}); r.status != 200 {
		t.Fatalf("update: %d %s", r.status, r.raw)
	}
	if r := b.protected(tok); r.status != 200 {
		t.Fatalf("after the update: %d %s", r.status, r.raw)
	}
	calls := b.upstream.calls()
	if got := calls[len(calls)-1].Get("X-Auth-Name"); got != "Alicia Smith" {
		t.Errorf("the other gateway sent X-Auth-Name %q, want the new %q", got, "Alicia Smith")
	}
}

func TestAKeyRotatedThroughOneGatewaySignsOnAnotherAtOnceAndOldTokensStillVerify(t *testing.T) {
	t.Parallel()
	a, b := twoGatewaysOnOneStore(t)
	old := a.loggedIn(testEmail).str("access_token")
	oldKid := kidOf(t, old)
	if b.gw.tokens.Current().ID != oldKid {
		t.Fatal("precondition: the gateways sign with different keys")
	}

	start := time.Now()
	_, cur, err := a.gw.RotateKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Well before the periodic reload (tokens.Manager.Run): the
	// announcement woke the other gateway's key loop.
	for b.gw.tokens.Current().ID != cur.ID {
		if time.Since(start) > time.Second {
			t.Fatal("the other gateway did not switch to the new key within a second")
		}
		time.Sleep(time.Millisecond) // poll pacing
	}

	for name, e := range map[string]*testEnv{"rotating": a, "other": b} {
		r := e.passwordLogin(testEmail, testPass)
		if r.status != 200 {
			t.Fatalf("%s gateway: login %d %s", name, r.status, r.raw)
		}
		if kid := kidOf(t, r.str("access_token")); kid != cur.ID {
			t.Errorf("%s gateway signs with %s, want the new key %s", name, kid, cur.ID)
		}
		if r := e.protected(old); r.status != 200 {
			t.Errorf("%s gateway rejects a token of the retired key: %d %s", name, r.status, r.raw)
		}
	}
}

func TestAResetDropsWhatAMissedAnnouncementLeftCached(t *testing.T) {
	t.Parallel()
	// Two stores on one file, as two processes would open it, hear nothing
	// of each other: only the cache TTL, or a Reset, ends stale entries.
	stores := twoStoresOnOneFile(t)
	a, b := newTestEnvOn(t, stores[0]), newTestEnvOn(t, stores[1])
	login := a.loggedIn(testEmail)
	tok := login.str("access_token")
	b.cache(tok)
	if r := a.manage("PUT", uidOf(login), map[string]any{"IsActive": false}); r.status != 200 {
		t.Fatalf("block: %d %s", r.status, r.raw)
	}
	if r := b.protected(tok); r.status != 200 {
		t.Fatalf("precondition: the unannounced block was honoured at once (%d): nothing left to reset", r.status)
	}
	b.gw.cache.Apply(store.Invalidation{Reset: true})
	if r := b.protected(tok); r.status != 401 || r.code() != 905 {
		t.Fatalf("after a Reset the stale token answered %d %s; want 401/905", r.status, r.raw)
	}
}

func TestAClosedGatewayIgnoresAnnouncements(t *testing.T) {
	t.Parallel()
	a, b := twoGatewaysOnOneStore(t)
	login := a.loggedIn(testEmail)
	if err := b.gw.Close(); err != nil {
		t.Fatal(err)
	}
	// The closed gateway's caches are released; applying these would
	// panic on them.
	if r := a.manage("PUT", uidOf(login), map[string]any{"IsActive": false}); r.status != 200 {
		t.Fatalf("block: %d %s", r.status, r.raw)
	}
	b.gw.cache.Apply(store.Invalidation{Reset: true})
}

// twoNodes returns two gateways on two PostgreSQL stores of one database:
// two cluster nodes in one process. mutate adjusts both configs.
func twoNodes(t *testing.T, mutate ...func(*Config)) (a, b *testEnv) {
	t.Helper()
	dsn := pgtest.DSN(t)
	var envs [2]*testEnv
	for i := range envs {
		st, err := postgres.Open(t.Context(), postgres.Config{DSN: dsn, MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		envs[i] = newTestEnvOn(t, st, mutate...)
	}
	return envs[0], envs[1]
}

// rejectedWithin polls e with tok until it is refused, and returns how
// long that took, failing after limit.
func rejectedWithin(t *testing.T, e *testEnv, tok string, since time.Time, limit time.Duration) time.Duration {
	t.Helper()
	for {
		r := e.protected(tok)
		if r.status == 403 || r.status == 401 {
			return time.Since(since)
		}
		if r.status != 200 {
			t.Fatalf("while polling: %d %s", r.status, r.raw)
		}
		if time.Since(since) > limit {
			t.Fatalf("the token was still accepted %v after the change", limit)
		}
	}
}

func TestOnPostgresABlockOnOneNodeStopsTheTokenCachedByAnotherWithinASecond(t *testing.T) {
	t.Parallel()
	a, b := twoNodes(t)
	login := a.loggedIn(testEmail)
	tok := login.str("access_token")
	b.cache(tok)
	start := time.Now()
	if r := a.manage("PUT", uidOf(login), map[string]any{"IsActive": false}); r.status != 200 {
		t.Fatalf("block: %d %s", r.status, r.raw)
	}
	t.Logf("the other node refused the token %v after the block was requested", rejectedWithin(t, b, tok, start, time.Second))
}

func TestOnPostgresAnAccountCreatedOnOneNodeLogsInOnAnotherAndProfileChangesTravel(t *testing.T) {
	t.Parallel()
	a, b := twoNodes(t)
	a.createAccount(testEmail, testPIN)
	login := b.passwordLogin(testEmail, testPass)
	if login.status != 200 {
		t.Fatalf("password login on the other node: %d %s", login.status, login.raw)
	}
	if r := b.pinLogin(login.str("session_token"), testPIN); r.status != 200 {
		t.Fatalf("PIN login on the other node: %d %s", r.status, r.raw)
	}
	tok := login.str("access_token")
	a.cache(tok)
	if r := b.manage("PUT", uidOf(login), map[string]any{"FirstName": "Alicia"}); r.status != 200 {
		t.Fatalf("update: %d %s", r.status, r.raw)
	}
	deadline := time.Now().Add(time.Second)
	for {
		if r := a.protected(tok); r.status != 200 {
			t.Fatalf("after the update: %d %s", r.status, r.raw)
		}
		calls := a.upstream.calls()
		if calls[len(calls)-1].Get("X-Auth-Name") == "Alicia Smith" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first node still served the old profile a second after the update")
		}
	}
}

func TestAMissedAnnouncementIsServedNoLongerThanTheCacheTTL(t *testing.T) {
	t.Parallel()
	// The README promises the bound as a number: it must be this one.
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if bound := fmt.Sprintf("**%d s**", int(config.DefaultCacheTTL.Seconds())); !strings.Contains(string(readme), bound) {
		t.Errorf("README does not state the staleness bound %s (config.DefaultCacheTTL)", bound)
	}

	// Two stores on one file hear nothing of each other, as when an
	// announcement is lost: only the TTL ends what the other one cached.
	const ttl = 300 * time.Millisecond
	stores := twoStoresOnOneFile(t)
	a := newTestEnvOn(t, stores[0])
	b := newTestEnvOn(t, stores[1], func(c *Config) { c.CacheTTL = ttl })
	login := a.loggedIn(testEmail)
	tok := login.str("access_token")
	b.cache(tok)
	cachedBy := time.Now() // every entry of tok was set before this
	if r := a.manage("PUT", uidOf(login), map[string]any{"IsActive": false}); r.status != 200 {
		t.Fatalf("block: %d %s", r.status, r.raw)
	}
	for {
		r := b.protected(tok)
		if r.status == 401 && r.code() == 905 {
			break
		}
		if r.status != 200 {
			t.Fatalf("while the block was unannounced: %d %s", r.status, r.raw)
		}
		// Slack for a loaded machine; without the TTL it would never end.
		if time.Since(cachedBy) > ttl+time.Second {
			t.Fatalf("the stale token was still served %v after it was cached, with a cache TTL of %v", time.Since(cachedBy), ttl)
		}
		time.Sleep(10 * time.Millisecond) // poll pacing
	}
	t.Logf("the unannounced block was honoured %v after the token was cached (TTL %v)", time.Since(cachedBy), ttl)
}

// twoStoresOnOneFile opens one new SQLite file twice, as two processes
// would: neither hears the other's announcements.
func twoStoresOnOneFile(t *testing.T) [2]*sqlite.Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pinauth.db")
	var stores [2]*sqlite.Store
	for i := range stores {
		st, err := sqlite.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		stores[i] = st
	}
	return stores
}
