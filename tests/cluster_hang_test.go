package tests

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres/pgtest"
)

// hangSlack is what a request may take beyond the query timeout while
// PostgreSQL hangs: the work around the one store call that times out, on
// a loaded machine under the race detector.
const hangSlack = 1500 * time.Millisecond

// A database that stops answering without closing anything is the hard
// case of fail-closed: nothing errors, only the node's own deadline ends a
// call. Every API call must answer 503 with Retry-After and the catalogue
// body within query_timeout, and the node must recover by itself.
func TestClusterAnswers503WithinTheQueryTimeoutWhilePostgresHangsAndRecoversWithoutARestart(t *testing.T) {
	t.Parallel()
	c := &cluster{t: t, dsn: pgtest.DSN(t)}
	px := newPGProxy(t, c.dsn)
	c.start(px.dsn(c.dsn), 1, func(s *siteConfig) { s.Extra = "lockout 10000 15m 15m" })
	g := c.nodes[0]
	uid := g.createAccount(pin)
	tok := g.passwordLogin().str("access_token")
	cacheOn(t, g, tok)

	client := &http.Client{Timeout: time.Minute}
	calls := []struct {
		name, method, path, body string
	}{
		{"password login", "POST", apiPrefix + "/auth/login?apikey=" + apiKey,
			fmt.Sprintf(`{"email":%q,"password":%q}`, email, password)},
		{"account read", "GET", apiPrefix + "/manage/account/" + uid + "?" + g.manage(), ""},
		{"account creation", "POST", apiPrefix + "/manage/account?" + g.manage(),
			fmt.Sprintf(`{"Email":[{"Type":"Primary","Value":"hang@example.com"}],"Password":%q}`, password)},
	}
	px.freeze()
	frozen := time.Now()
	for _, call := range calls {
		h := send(client, call.method, g.base+call.path, call.body)
		if h.err != nil || h.status != 503 || h.code != 503 || h.retryAfter == "" {
			t.Errorf("%s while PostgreSQL hangs: %d %q %v %s; want 503 with Retry-After and the catalogue body",
				call.name, h.status, h.retryAfter, h.err, h.body)
		}
		if h.took > clusterQueryTimeout+hangSlack {
			t.Errorf("%s took %v while PostgreSQL hangs, more than the %v query timeout", call.name, h.took, clusterQueryTimeout)
		}
		t.Logf("%s while PostgreSQL hangs: %d after %v", call.name, h.status, h.took)
	}
	// A token cached before the hang may pass from the cache; one that is
	// not must fail closed like the API, never hang.
	if h := send(client, "GET", g.base+"/app", "", "Authorization", "Bearer "+tok); h.took > clusterQueryTimeout+hangSlack ||
		(h.status != 200 && h.status != 503) {
		t.Errorf("cached token while PostgreSQL hangs: %d after %v %v", h.status, h.took, h.err)
	}

	px.unfreeze()
	t.Logf("PostgreSQL hung for %v", time.Since(frozen))
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := g.passwordLogin()
		if r.status == 200 {
			break
		}
		if r.status != 503 || time.Now().After(deadline) {
			t.Fatalf("login after the hang ended: %d %s", r.status, r.raw)
		}
		time.Sleep(20 * time.Millisecond) // poll pacing
	}
	if r := g.do("GET", apiPrefix+"/manage/account/"+uid+"?"+g.manage(), nil); r.status != 200 {
		t.Errorf("account read after the recovery: %d %s", r.status, r.raw)
	}
}
