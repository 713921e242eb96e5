package tests

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres/pgtest"
)

// EnvLoad turns on TestLoadThroughput.
const EnvLoad = "PINAUTH_LOAD"

// TestLoadThroughput measures, on real Caddy processes over loopback, how
// many PIN logins and cached protected requests a second the gateway
// serves with SQLite and with PostgreSQL, on one node and on two (two
// processes on one SQLite file, or two nodes on one PostgreSQL database).
// It prints a table and asserts only that the load succeeded. It is a
// measurement, not a test of the product, so it runs only when asked:
//
//	PINAUTH_LOAD=1 PINAUTH_TEST_POSTGRES_DSN=… go test ./tests -run TestLoadThroughput -v
//
// The load generator shares the machine's cores with the nodes (and with
// PostgreSQL), so the numbers compare configurations of one run; they are
// not capacity figures.
func TestLoadThroughput(t *testing.T) {
	if os.Getenv(EnvLoad) == "" {
		t.Skipf("a load measurement: set %s=1 (and %s for the PostgreSQL rows) to run it", EnvLoad, pgtest.EnvDSN)
	}
	const (
		accounts = 64
		workers  = 32
		period   = 5 * time.Second
	)
	hashes := map[string]string{"cheap": cheapHash, "default": ""}
	type row struct {
		backend, hash string
		nodes         int
		pinLogins     float64
		pinBusy       int64
		calls         float64
	}
	var rows []row
	for _, backend := range []string{"sqlite", "postgres"} {
		for _, hashName := range []string{"cheap", "default"} {
			for _, nodes := range []int{1, 2} {
				name := fmt.Sprintf("%s/%s hash/%d node(s)", backend, hashName, nodes)
				t.Run(name, func(t *testing.T) {
					c := startLoadNodes(t, backend, hashes[hashName], nodes)
					sessions, tokens := loadAccounts(t, c, accounts)
					pinRate := throughput(t, c, workers, period, func(client *http.Client, node *gateway, i int) hit {
						return send(client, "POST", node.base+apiPrefix+"/auth/login/pin?apikey="+apiKey+"&session_token="+sessions[i%len(sessions)], `{"pin":"`+pin+`"}`)
					})
					// Every node verifies (and caches) every token before the
					// timed run.
					for _, node := range c {
						for _, tok := range tokens {
							node.cachedOK("warm-up", tok)
						}
					}
					calls := throughput(t, c, workers, period, func(client *http.Client, node *gateway, i int) hit {
						return send(client, "GET", node.base+"/app", "", "Authorization", "Bearer "+tokens[i%len(tokens)])
					})
					rows = append(rows, row{backend, hashName, nodes, pinRate.ok, pinRate.busy, calls.ok})
				})
			}
		}
	}
	t.Logf("%d workers, %v per measurement, %d accounts, requests round-robin over the nodes", workers, period, accounts)
	t.Logf("%-9s %-8s %-6s %14s %12s %20s", "backend", "hash", "nodes", "PIN logins/s", "PIN 503s", "cached protected/s")
	for _, r := range rows {
		t.Logf("%-9s %-8s %-6d %14.0f %12d %20.0f", r.backend, r.hash, r.nodes, r.pinLogins, r.pinBusy, r.calls)
	}
}

// startLoadNodes starts n nodes on one store whose protected path answers
// from Caddy itself (respond), so the upstream costs nothing.
func startLoadNodes(t *testing.T, backend, hash string, n int) []*gateway {
	t.Helper()
	var storeLine string
	var env []string
	switch backend {
	case "sqlite":
		storeLine = "store sqlite " + filepath.Join(t.TempDir(), "pinauth.db")
	case "postgres":
		storeLine = "store postgres {env.PINAUTH_E2E_DSN}"
		env = append(env, "PINAUTH_E2E_DSN="+pgtest.DSN(t))
	}
	var nodes []*gateway
	for range n {
		s := newSite(t, "\trespond \""+upstreamBody+"\" 200")
		s.Store, s.Hash = storeLine, hash
		// All load comes from one client address: lift the per-IP limit.
		s.Extra = "rate_limit 100000000 1m"
		g := &gateway{t: t, site: s, base: baseURL(s.Port), log: &responseLog{}}
		g.proc = startCaddy(t, caddyfile(t, s), []string{g.base + "/.well-known/jwks.json"}, env...)
		nodes = append(nodes, g)
	}
	return nodes
}

// loadAccounts creates n accounts with a PIN and returns a PIN session
// token and an access token of each.
func loadAccounts(t *testing.T, nodes []*gateway, n int) (sessions, tokens []string) {
	t.Helper()
	a := nodes[0]
	for i := range n {
		email := fmt.Sprintf("load-%d@example.com", i)
		r := a.do("POST", apiPrefix+"/manage/account?"+a.manage(), map[string]any{
			"Email":    []map[string]string{{"Type": "Primary", "Value": email}},
			"Password": password, "PINInfo": map[string]string{"PIN": pin},
		})
		if r.status != 200 {
			t.Fatalf("create account: %d %s", r.status, r.raw)
		}
		r = a.do("POST", apiPrefix+"/auth/login?apikey="+apiKey, map[string]string{"email": email, "password": password})
		if r.status != 200 {
			t.Fatalf("login: %d %s", r.status, r.raw)
		}
		sessions = append(sessions, r.str("session_token"))
		tokens = append(tokens, r.str("access_token"))
	}
	return sessions, tokens
}

// rate is what throughput measured.
type rate struct {
	// ok is the successful calls per second.
	ok float64
	// busy counts 503 answers: the hashing queue refusing work it could
	// not start within its timeout, which is the designed answer to
	// overload, not a failure.
	busy int64
}

// throughput runs do from workers goroutines, round-robin over the nodes,
// for period. Any answer but 200 and 503 fails the test.
func throughput(t *testing.T, nodes []*gateway, workers int, period time.Duration,
	do func(client *http.Client, node *gateway, i int) hit) rate {
	t.Helper()
	transport := &http.Transport{MaxIdleConnsPerHost: workers}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: time.Minute}
	var ok, busy atomic.Int64
	var mu sync.Mutex
	var failures []hit
	deadline := time.Now().Add(period)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; time.Now().Before(deadline); i += workers {
				switch h := do(client, nodes[i%len(nodes)], i); {
				case h.err == nil && h.status == 200:
					ok.Add(1)
				case h.err == nil && h.status == 503:
					busy.Add(1)
				default:
					mu.Lock()
					failures = append(failures, h)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	for i, h := range failures {
		if i == 3 {
			t.Errorf("… %d failures in all", len(failures))
			break
		}
		t.Errorf("call failed: %d %s %v", h.status, h.body, h.err)
	}
	return rate{ok: float64(ok.Load()) / elapsed.Seconds(), busy: busy.Load()}
}
