package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres/pgtest"
)

// cluster is several Caddy processes, each with one pin_auth site, sharing
// one PostgreSQL database of the test's own.
type cluster struct {
	t     *testing.T
	dsn   string
	nodes []*gateway
}

// clusterQueryTimeout is the nodes' query_timeout: short, so the outage
// test sees 503s quickly, and long enough for the race detector.
const clusterQueryTimeout = 2 * time.Second

// startCluster starts n nodes on one new database. The DSN reaches the
// Caddyfile through an environment placeholder, as operators pass it.
func startCluster(t *testing.T, n int, mutate ...func(*siteConfig)) *cluster {
	t.Helper()
	c := &cluster{t: t, dsn: pgtest.DSN(t)}
	c.start(c.dsn, n, mutate...)
	return c
}

// start adds n nodes that reach the cluster's database through nodeDSN.
func (c *cluster) start(nodeDSN string, n int, mutate ...func(*siteConfig)) {
	c.t.Helper()
	for range n {
		up := newUpstream(c.t)
		s := newSite(c.t, "\treverse_proxy "+up.addr())
		s.Store = fmt.Sprintf("store postgres {env.PINAUTH_E2E_DSN} {\n\t\t\tmax_conns 4\n\t\t\tquery_timeout %s\n\t\t}", clusterQueryTimeout)
		for _, m := range mutate {
			m(&s)
		}
		g := &gateway{t: c.t, site: s, up: up, base: baseURL(s.Port), log: &responseLog{}}
		g.proc = startCaddy(c.t, caddyfile(c.t, s), []string{g.base + "/.well-known/jwks.json"}, "PINAUTH_E2E_DSN="+nodeDSN)
		c.nodes = append(c.nodes, g)
	}
}

// exec runs one statement on the cluster's database, or on the server's
// own database with admin.
func (c *cluster) exec(query string, args ...any) {
	c.t.Helper()
	conn, err := pgx.Connect(c.t.Context(), c.dsn)
	if err != nil {
		c.t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(c.t.Context(), query, args...); err != nil {
		c.t.Fatalf("%s: %v", query, err)
	}
}

// killConnections ends every server process connected to the cluster's
// database (the nodes' pools and listeners), as a failover or a network
// blip would. The server itself keeps running: other tests share it.
func (c *cluster) killConnections() {
	c.t.Helper()
	c.exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`)
}

// refuseConnections makes the cluster's database refuse new connections
// and ends the open ones (refuse true): to the nodes it is unreachable.
// With false it accepts connections again. It works from the server's own
// database, since the cluster's refuses even superusers.
func (c *cluster) refuseConnections(refuse bool) {
	c.t.Helper()
	conn, err := pgx.Connect(c.t.Context(), pgtest.ServerDSN(c.t))
	if err != nil {
		c.t.Fatal(err)
	}
	defer conn.Close(context.Background())
	cfg, err := pgx.ParseConfig(c.dsn)
	if err != nil {
		c.t.Fatal(err)
	}
	name := pgx.Identifier{cfg.Database}.Sanitize()
	if _, err := conn.Exec(c.t.Context(), fmt.Sprintf(`ALTER DATABASE %s ALLOW_CONNECTIONS %v`, name, !refuse)); err != nil {
		c.t.Fatal(err)
	}
	if refuse {
		if _, err := conn.Exec(c.t.Context(), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, cfg.Database); err != nil {
			c.t.Fatal(err)
		}
	}
}

// hit is one request's outcome as the load goroutines see it: they must
// not call t.Fatal, so transport errors are data too.
type hit struct {
	node       int
	status     int
	code       int
	retryAfter string
	took       time.Duration
	err        error
	body       string
}

// send issues one request without failing the test; for goroutines.
func send(client *http.Client, method, url, body string, header ...string) hit {
	start := time.Now()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return hit{err: err}
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		return hit{err: err, took: time.Since(start)}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	h := hit{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), took: time.Since(start), body: string(raw)}
	r := response{raw: h.body}
	if err := json.Unmarshal(raw, &r.body); err == nil {
		h.code = r.code()
	}
	return h
}
