package tests

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"
)

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
