package tests

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres/pgtest"
)

// listenerPorts are the client ports of the connections LISTENing on the
// cluster's database (each node's coherence channel).
func (c *cluster) listenerPorts() []int {
	c.t.Helper()
	conn, err := pgx.Connect(c.t.Context(), c.dsn)
	if err != nil {
		c.t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(c.t.Context(), `SELECT client_port FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN %'`)
	if err != nil {
		c.t.Fatal(err)
	}
	ports, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		c.t.Fatal(err)
	}
	out := make([]int, len(ports))
	for i, p := range ports {
		out[i] = int(p)
	}
	return out
}

// Issue 22: with its coherence channel hung (its LISTEN connection frozen:
// no announcement arrives, and nothing tells the node so before its next
// ping, 15 s on) a node still refuses a revoked token within a second,
// whether it had cached it or never saw it, and never serves it again:
// the journal, read through its pool every 250 ms, stands in for the
// announcements. A live token is still served.
func TestClusterNodeWhoseChannelHangsStillRefusesRevokedTokensWithinASecond(t *testing.T) {
	t.Parallel()
	c := &cluster{t: t, dsn: pgtest.DSN(t)}
	c.start(c.dsn, 1)
	a := c.nodes[0]
	a.createAccount(pin)
	px := newPGProxy(t, c.dsn)
	c.start(px.dsn(c.dsn), 1)
	b := c.nodes[1]
	if n := px.freezePorts(c.listenerPorts()); n != 1 {
		t.Fatalf("froze %d LISTEN connections of node B, want its one", n)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	for _, seen := range []bool{true, false} {
		login, live := a.passwordLogin(), a.passwordLogin()
		if login.status != 200 || live.status != 200 {
			t.Fatalf("logins on node A: %d %s / %d %s", login.status, login.raw, live.status, live.raw)
		}
		tok := login.str("access_token")
		if seen {
			cacheOn(t, b, tok)
		}
		start := time.Now()
		if r := a.do("GET", apiPrefix+"/auth/access_token/invalidate?apikey="+a.key(), nil, withToken(tok)...); r.status != 200 {
			t.Fatalf("logout on node A: %d %s", r.status, r.raw)
		}
		t.Logf("channel hung, token seen by B before %v: B refused it %v after the logout", seen,
			refusedWithin(t, b, tok, start, time.Second))
		for i := range 20 {
			if h := send(client, "GET", b.base+"/app", "", "Authorization", "Bearer "+tok); h.status != 401 {
				t.Fatalf("request %d after B first refused the revoked token: %d %s", i, h.status, h.body)
			}
		}
		if r := b.protected("/app", live.str("access_token")); r.status != 200 {
			t.Fatalf("node B with its channel hung, a live token: %d %s", r.status, r.raw)
		}
	}
}
