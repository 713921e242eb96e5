package tests

import (
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres/pgtest"
)

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
	delay := sentWithin(t, a, tok, "X-Auth-Name", "Alicia Smith", start, time.Second)
	t.Logf("node A served the profile updated on node B %v after the update was sent", delay)
}

// sentWithin polls node with tok until its upstream receives header with
// the value want and returns how long after since that was; it fails
// after limit, or when a request is refused.
func sentWithin(t *testing.T, node *gateway, tok, header, want string, since time.Time, limit time.Duration) time.Duration {
	t.Helper()
	for {
		if r := node.protected("/app", tok); r.status != 200 {
			t.Fatalf("node %s: %d %s", node.base, r.status, r.raw)
		}
		if node.up.last(t).Header.Get(header) == want {
			return time.Since(since)
		}
		if time.Since(since) > limit {
			t.Fatalf("node %s still sent %s %q, not %q, %v after the change", node.base, header, node.up.last(t).Header.Get(header), want, limit)
		}
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
