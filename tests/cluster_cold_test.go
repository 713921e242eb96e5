package tests

import (
	"net/http"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres/pgtest"
)

// Issue 22: a node serves a token it has never seen from the token's
// claims, so these tests present each token to node B for the first time
// after node A made the change.

func TestClusterRefusesATokenNeverSeenBeforeOnTheNextRequestAfterARevocationElsewhere(t *testing.T) {
	t.Parallel()
	c := startCluster(t, 2)
	a, b := c.nodes[0], c.nodes[1]
	uid := a.createAccount(pin)
	for _, change := range []struct {
		name string
		do   func(tok string)
		undo func()
	}{
		{"logout", func(tok string) {
			if r := a.do("GET", apiPrefix+"/auth/access_token/invalidate?apikey="+a.key(), nil, withToken(tok)...); r.status != 200 {
				t.Fatalf("logout on node A: %d %s", r.status, r.raw)
			}
		}, nil},
		{"block", func(string) {
			if r := a.do("PUT", apiPrefix+"/manage/account/"+uid+"?"+a.manage(), map[string]any{"IsActive": false}); r.status != 200 {
				t.Fatalf("block on node A: %d %s", r.status, r.raw)
			}
		}, func() {
			if r := a.do("PUT", apiPrefix+"/manage/account/"+uid+"?"+a.manage(), map[string]any{"IsActive": true}); r.status != 200 {
				t.Fatalf("unblock on node A: %d %s", r.status, r.raw)
			}
		}},
		{"password change", func(string) {
			if r := a.do("PUT", apiPrefix+"/manage/account/"+uid+"?"+a.manage(), map[string]any{"Password": password}); r.status != 200 {
				t.Fatalf("password change on node A: %d %s", r.status, r.raw)
			}
		}, nil},
	} {
		login := a.passwordLogin()
		if login.status != 200 {
			t.Fatalf("%s: login: %d %s", change.name, login.status, login.raw)
		}
		tok := login.str("access_token")
		start := time.Now()
		change.do(tok)
		t.Logf("%s on node A: node B refused the token it never saw %v after the request was sent",
			change.name, refusedWithin(t, b, tok, start, time.Second))
		if change.undo != nil {
			change.undo()
		}
	}

	// A profile change reaches the headers of a token B never saw.
	tok := a.passwordLogin().str("access_token")
	start := time.Now()
	if r := a.do("PUT", apiPrefix+"/manage/account/"+uid+"?"+a.manage(), map[string]any{"FirstName": "Alicia"}); r.status != 200 {
		t.Fatalf("update on node A: %d %s", r.status, r.raw)
	}
	t.Logf("node B forwarded the new name %v after the update", sentWithin(t, b, tok, "X-Auth-Name", "Alicia Smith", start, time.Second))
}

// With its store connection frozen (announcements and the journal alike),
// a node stops serving tokens from their claims within a second (design
// §8's bound across nodes): it verifies against the store, which answers
// 503 while frozen, and refuses the revoked token once it answers again.
func TestClusterNodeCutOffFromTheStoreStopsServingARevokedTokenWithinASecond(t *testing.T) {
	t.Parallel()
	c := &cluster{t: t, dsn: pgtest.DSN(t)}
	c.start(c.dsn, 1)
	a := c.nodes[0]
	a.createAccount(pin)
	tok := a.passwordLogin().str("access_token")
	// Node B starts after the login: its first journal read finds no
	// change of the account, so it trusts the token's claims.
	px := newPGProxy(t, c.dsn)
	c.start(px.dsn(c.dsn), 1)
	b := c.nodes[1]
	client := &http.Client{Timeout: time.Minute}
	if h := send(client, "GET", b.base+"/app", "", "Authorization", "Bearer "+tok); h.status != 200 {
		t.Fatalf("node B before the freeze: %d %s", h.status, h.body)
	}
	px.freeze()
	start := time.Now()
	if r := a.do("GET", apiPrefix+"/auth/access_token/invalidate?apikey="+a.key(), nil, withToken(tok)...); r.status != 200 {
		t.Fatalf("logout on node A: %d %s", r.status, r.raw)
	}
	for {
		sent := time.Now()
		h := send(client, "GET", b.base+"/app", "", "Authorization", "Bearer "+tok)
		if h.status != 200 {
			if h.status != 503 && h.status != 401 {
				t.Fatalf("node B while frozen: %d %s", h.status, h.body)
			}
			t.Logf("node B stopped serving the revoked token %v after the logout (answer %d)", sent.Sub(start), h.status)
			break
		}
		if sent.Sub(start) > time.Second {
			t.Fatalf("node B, cut off from the store, still served a token revoked %v before", sent.Sub(start))
		}
	}
	px.unfreeze()
	deadline := time.Now().Add(30 * time.Second)
	for {
		h := send(client, "GET", b.base+"/app", "", "Authorization", "Bearer "+tok)
		if h.status == 401 {
			break
		}
		if h.status != 503 || time.Now().After(deadline) {
			t.Fatalf("node B after the store came back: %d %s", h.status, h.body)
		}
		time.Sleep(20 * time.Millisecond) // poll pacing
	}
}
