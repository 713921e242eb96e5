package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
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

func TestClusterCountsConcurrentWrongPINsExactlyAcrossNodes(t *testing.T) {
	t.Parallel()
	c := startCluster(t, 3)
	a := c.nodes[0]
	a.createAccount(pin)
	login := c.nodes[1].passwordLogin()
	if login.status != 200 {
		t.Fatalf("password login: %d %s", login.status, login.raw)
	}
	session := login.str("session_token")

	const n, attempts = 200, 5 // attempts: the default lockout
	hits := make([]hit, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	client := &http.Client{Timeout: time.Minute}
	for i := range n {
		wg.Go(func() {
			<-start
			node := c.nodes[i%len(c.nodes)]
			hits[i] = send(client, "POST", node.base+apiPrefix+"/auth/login/pin?apikey="+apiKey+"&session_token="+session, `{"pin":"0000"}`)
			hits[i].node = i % len(c.nodes)
		})
	}
	close(start)
	wg.Wait()

	codes := map[string]int{}
	wrongPIN, storeBusy := 0, 0
	for _, h := range hits {
		if h.err != nil {
			t.Fatalf("request failed: %v", h.err)
		}
		codes[fmt.Sprintf("%d/%d", h.status, h.code)]++
		switch {
		case h.status == 401 && h.code == 1236:
			wrongPIN++
		case h.status == 403 && h.code == 1198:
		case h.status == 503 && h.retryAfter != "":
			// A node whose hashing queue stayed full (a loaded machine)
			// refuses before counting: allowed, it changes no count. A
			// store fault (Retry-After 5, see the README) may come after
			// a committed reservation.
			if h.retryAfter == "5" {
				storeBusy++
			}
		default:
			t.Errorf("node %d answered %d %s; want 401/1236, the lock (403/1198) or a busy 503", h.node, h.status, h.body)
		}
	}
	switch {
	case wrongPIN > attempts:
		t.Errorf("%d wrong-PIN (1236) answers across 3 nodes, more than the %d attempts; all answers: %v", wrongPIN, attempts, codes)
	case wrongPIN+storeBusy < attempts:
		t.Errorf("%d wrong-PIN (1236) answers across 3 nodes and %d store faults, want exactly %d 1236s; all answers: %v",
			wrongPIN, storeBusy, attempts, codes)
	case wrongPIN < attempts:
		// A store fault after a committed reservation (a timeout while
		// the commit succeeded) may hide a counted attempt, one each;
		// a full hashing queue refuses before counting and never does.
		t.Logf("%d store faults; %d counted attempts answered 1236", storeBusy, wrongPIN)
	}
	t.Logf("answers of 200 concurrent wrong PINs over 3 nodes: %v", codes)
}

// cacheOn makes node verify tok (and cache it) by using it a few times.
func cacheOn(t *testing.T, node *gateway, tok string) {
	t.Helper()
	for range 3 {
		if r := node.protected("/app", tok); r.status != 200 {
			t.Fatalf("token on node %s: %d %s", node.base, r.status, r.raw)
		}
	}
}

// refusedWithin polls node with tok until it is refused and returns how
// long after since that was; it fails after limit.
func refusedWithin(t *testing.T, node *gateway, tok string, since time.Time, limit time.Duration) time.Duration {
	t.Helper()
	for {
		r := node.protected("/app", tok)
		switch r.status {
		case 401, 403:
			return time.Since(since)
		case 200:
		default:
			t.Fatalf("while polling: %d %s", r.status, r.raw)
		}
		if time.Since(since) > limit {
			t.Fatalf("node %s still accepted the token %v after the change", node.base, limit)
		}
	}
}

func TestClusterHonoursRevocationsOnEveryNodeWithinASecond(t *testing.T) {
	t.Parallel()
	c := startCluster(t, 2)
	a, b := c.nodes[0], c.nodes[1]
	uid := a.createAccount(pin)
	manage := func(body map[string]any) func(response) {
		return func(response) {
			if r := a.do("PUT", apiPrefix+"/manage/account/"+uid+"?"+a.manage(), body); r.status != 200 {
				t.Fatalf("manage %v on node A: %d %s", body, r.status, r.raw)
			}
		}
	}

	for _, change := range []struct {
		name string
		// do makes the change on node A; other is another device's
		// login, whose token the change must not revoke where that
		// matters (a PIN change keeps the caller's session).
		do   func(other response)
		undo func(response)
	}{
		{"block (IsActive false)", manage(map[string]any{"IsActive": false}), manage(map[string]any{"IsActive": true})},
		{"password change", manage(map[string]any{"Password": password}), nil},
		{"logout", nil, nil},
		{"PIN change on another device", func(other response) {
			r := a.do("PUT", apiPrefix+"/auth/pin/change?apikey="+a.key(),
				map[string]string{"oldPIN": pin, "newPIN": newPIN}, withToken(other.str("access_token"))...)
			if r.status != 200 {
				t.Fatalf("change PIN on node A: %d %s", r.status, r.raw)
			}
		}, nil},
	} {
		login := a.passwordLogin()
		other := a.passwordLogin()
		if login.status != 200 || other.status != 200 {
			t.Fatalf("%s: logins: %d %s / %d %s", change.name, login.status, login.raw, other.status, other.raw)
		}
		tok := login.str("access_token")
		cacheOn(t, b, tok)
		start := time.Now()
		if change.do != nil {
			change.do(other)
		} else { // logout of the token's own session
			if r := a.do("GET", apiPrefix+"/auth/access_token/invalidate?apikey="+a.key(), nil, withToken(tok)...); r.status != 200 {
				t.Fatalf("logout on node A: %d %s", r.status, r.raw)
			}
		}
		delay := refusedWithin(t, b, tok, start, time.Second)
		t.Logf("%s on node A: node B refused the old access token %v after the request was sent", change.name, delay)
		if change.undo != nil {
			change.undo(login)
		}
	}
}

func TestClusterUsesAKeyRotatedElsewhereAtOnceAndStillVerifiesOldTokens(t *testing.T) {
	t.Parallel()
	c := startCluster(t, 2)
	a, b := c.nodes[0], c.nodes[1]
	a.createAccount(pin)
	old := a.passwordLogin().str("access_token")
	oldKid := kid(t, old)

	// The CLI rotates through A's configuration: a process of its own,
	// like a third node.
	out, err := a.runCLI("pinauth", "keys", "rotate", "--config", filepath.Join(a.proc.Dir, "Caddyfile"), "--adapter", "caddyfile")
	if err != nil {
		t.Fatalf("caddy pinauth keys rotate: %v\n%s", err, out)
	}
	rotated := time.Now()
	m := signingWith.FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "retired "+oldKid) || strings.Contains(out, c.dsn) {
		t.Fatalf("caddy pinauth keys rotate output:\n%s", out)
	}
	newKid := m[1]
	for i, node := range c.nodes {
		// Well within the nodes' periodic key reload (5 s): the rotation
		// was announced.
		for {
			r := node.passwordLogin()
			if r.status != 200 {
				t.Fatalf("node %d: login: %d %s", i, r.status, r.raw)
			}
			if kid(t, r.str("access_token")) == newKid {
				break
			}
			if time.Since(rotated) > time.Second {
				t.Fatalf("node %d still signed with the old key a second after the rotation", i)
			}
		}
		t.Logf("node %d signed with the new key %v after the rotation returned", i, time.Since(rotated))
		if r := node.protected("/app", old); r.status != 200 {
			t.Errorf("node %d rejects a token of the retired key: %d %s", i, r.status, r.raw)
		}
	}
	if ja, jb := a.jwksKids(), b.jwksKids(); !slices.Equal(ja, jb) || !slices.Equal(ja, sorted(oldKid, newKid)) {
		t.Errorf("JWKS: node A %v, node B %v; want both %s and %s", ja, jb, oldKid, newKid)
	}
}

func TestClusterSharesAccountsProfilesAndKeys(t *testing.T) {
	t.Parallel()
	c := startCluster(t, 2)
	a, b := c.nodes[0], c.nodes[1]
	uid := a.createAccount(pin)

	// Created on A, logs in on B, with password then PIN.
	login := b.passwordLogin()
	if login.status != 200 {
		t.Fatalf("password login on B: %d %s", login.status, login.raw)
	}
	if r := b.pinLogin(login.str("session_token"), pin); r.status != 200 {
		t.Fatalf("PIN login on B: %d %s", r.status, r.raw)
	}

	// Issued by B, verified by A: the signing keys are shared.
	tok := login.str("access_token")
	cacheOn(t, a, tok)
	if ja, jb := a.do("GET", "/.well-known/jwks.json", nil), b.do("GET", "/.well-known/jwks.json", nil); ja.raw != jb.raw {
		t.Errorf("the nodes publish different keys:\n%s\n%s", ja.raw, jb.raw)
	}

	// Updated on B, served by A.
	start := time.Now()
	if r := b.do("PUT", apiPrefix+"/manage/account/"+uid+"?"+b.manage(), map[string]any{"FirstName": "Alicia"}); r.status != 200 {
		t.Fatalf("update on B: %d %s", r.status, r.raw)
	}
	for {
		if r := a.protected("/app", tok); r.status != 200 {
			t.Fatalf("A after the update: %d %s", r.status, r.raw)
		}
		if a.up.last(t).Header.Get("X-Auth-Name") == "Alicia Smith" {
			t.Logf("node A served the profile updated on node B %v after the update was sent", time.Since(start))
			break
		}
		if time.Since(start) > time.Second {
			t.Fatal("node A still served the old profile a second after the update on node B")
		}
	}
}

func TestClusterFailsClosedWhilePostgresIsUnreachableAndRecoversWithoutARestart(t *testing.T) {
	t.Parallel()
	// A login whose attempt was counted but whose completion failed in the
	// outage stays counted (only a completed login clears the count), so
	// the default lockout would lock the test's busy account.
	c := startCluster(t, 2, func(s *siteConfig) { s.Extra = "lockout 10000 15m 15m" })
	a := c.nodes[0]
	a.createAccount(pin)
	tok := a.passwordLogin().str("access_token")

	client := &http.Client{Timeout: time.Minute}
	var mu sync.Mutex
	var hits []hit
	created := map[string]bool{} // emails whose creation was answered 200
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				node := w % len(c.nodes)
				base := c.nodes[node].base
				var h hit
				email := ""
				switch i % 3 {
				case 0: // an API call that writes
					email = fmt.Sprintf("load-%d-%d@example.com", w, i)
					h = send(client, "POST", base+apiPrefix+"/manage/account?"+a.manage(),
						fmt.Sprintf(`{"Email":[{"Type":"Primary","Value":%q}],"Password":%q}`, email, password))
				case 1: // a login
					h = send(client, "POST", base+apiPrefix+"/auth/login?apikey="+apiKey,
						fmt.Sprintf(`{"email":%q,"password":%q}`, "alice@example.com", password))
				default: // the protected path
					h = send(client, "GET", base+"/app", "", "Authorization", "Bearer "+tok)
				}
				h.node = node
				mu.Lock()
				hits = append(hits, h)
				if email != "" && h.status == 200 {
					created[email] = true
				}
				mu.Unlock()
			}
		})
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(hits) }
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				close(stop)
				wg.Wait()
				t.Fatalf("%s: not within 60s", what)
			}
			time.Sleep(10 * time.Millisecond) // pacing a poll of the traffic's progress, not synchronisation
		}
	}
	seen := func(pred func(hit) bool) func() bool {
		from := count()
		return func() bool {
			mu.Lock()
			defer mu.Unlock()
			return slices.ContainsFunc(hits[from:], pred)
		}
	}
	ok200 := func(h hit) bool { return h.status == 200 }
	is503 := func(h hit) bool { return h.status == 503 }

	waitFor("traffic before the kill", seen(ok200))
	// Connections killed mid-traffic: each node reconnects by itself.
	c.killConnections()
	waitFor("success after killed connections", seen(ok200))

	// The database unreachable for a while: API calls fail closed.
	c.refuseConnections(true)
	outage := count()
	waitFor("503 while the database is unreachable", seen(is503))
	c.refuseConnections(false)
	recovered := seen(func(h hit) bool { return h.status == 200 && h.code == 0 })
	waitFor("success after the database came back", recovered)
	// A while of traffic after the recovery.
	after := count()
	waitFor("more traffic after the recovery", func() bool { return count() > after+50 })
	close(stop)
	wg.Wait()

	statuses := map[int]int{}
	for i, h := range hits {
		if h.err != nil {
			t.Errorf("request failed without an answer: %v", h.err)
			continue
		}
		statuses[h.status]++
		switch h.status {
		case 200:
		case 503:
			if h.retryAfter == "" || h.code != 503 {
				t.Errorf("503 without Retry-After or without the catalogue body: %q %s", h.retryAfter, h.body)
			}
		default:
			t.Errorf("request %d on node %d answered %d %s; want 200 or 503", i, h.node, h.status, h.body)
		}
		if h.took > clusterQueryTimeout*3 {
			t.Errorf("request %d took %v, more than three query timeouts", i, h.took)
		}
	}
	t.Logf("%d requests (%d during and after the outage): %v", len(hits), len(hits)-outage, statuses)

	// No account whose creation was acknowledged is lost.
	for email := range created {
		r := a.do("GET", apiPrefix+"/manage/account?email="+email+"&"+a.manage(), nil)
		if r.status != 200 {
			t.Errorf("account %s, created with 200, is gone: %d %s", email, r.status, r.raw)
		}
	}
	if len(created) == 0 {
		t.Error("no account was created during the test")
	}
}

// TestREADMEClusterBlockRunsTwoNodes runs the pin_auth block of the
// README's "Running a cluster" section, as printed, on two nodes of one
// database: an account created on one logs in on the other.
func TestREADMEClusterBlockRunsTwoNodes(t *testing.T) {
	t.Parallel()
	_, section, ok := strings.Cut(readRepoFile(t, "README.md"), "\n## Running a cluster\n")
	if !ok {
		t.Fatal("README has no Running a cluster section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	blocks := codeBlocks(section)
	if len(blocks) == 0 || !strings.Contains(blocks[0], "store postgres") {
		t.Fatalf("the section's first code block is not the cluster's pin_auth block: %q", blocks)
	}
	env := []string{
		"PINAUTH_API_KEY=" + apiKey, "PINAUTH_API_SECRET=" + apiSecret,
		"PINAUTH_PEPPER=" + pepper, "PINAUTH_DSN=" + pgtest.DSN(t),
	}
	var nodes []*gateway
	for range 2 {
		port := freePort(t)
		conf := globalOptions + fmt.Sprintf(":%d {\n%s\trespond %q 200\n}\n", port, blocks[0], upstreamBody)
		g := &gateway{t: t, base: baseURL(port), log: &responseLog{}}
		g.proc = startCaddy(t, conf, []string{g.base + "/.well-known/jwks.json"}, env...)
		nodes = append(nodes, g)
	}
	nodes[0].createAccount(pin)
	login := nodes[1].passwordLogin()
	if login.status != 200 {
		t.Fatalf("password login on the second node: %d %s", login.status, login.raw)
	}
	nodes[0].cachedOK("the second node's token on the first", login.str("access_token"))
}
