package tests

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/sqlite"
)

// TestAnAccountHoldingAControlCharacterStillReachesTheUpstream is finding
// 7 of issue 15 on real Caddy: the management API refuses a FullName with
// CRLF (it stored it before, and reverse_proxy then answered every
// request of the account with 502); an account that already holds one
// (written before the fix) still reaches the upstream, without the header
// that cannot carry it.
func TestAnAccountHoldingAControlCharacterStillReachesTheUpstream(t *testing.T) {
	t.Parallel()
	g := startGateway(t, func(s *siteConfig) { s.Extra = "header_preset authelia" })
	uid := g.createAccount(pin)
	const hostile = "Gina\r\nX-Auth-Uid: victim"
	g.do("PUT", apiPrefix+"/manage/account/"+uid+"?"+g.manage(), map[string]any{"FullName": hostile}).wantError(t, 403, 1134)

	// Written as an older version would have: straight into the store.
	st, err := sqlite.Open(g.site.DB)
	if err != nil {
		t.Fatal(err)
	}
	err = st.Update(t.Context(), func(tx store.Tx) error {
		a, _, err := tx.Account(tenantName, uid)
		if err != nil {
			return err
		}
		a.Profile["FullName"], _ = json.Marshal(hostile)
		_, err = tx.SaveAccount(a)
		return err
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}

	login := g.passwordLogin()
	r := g.protected("/app/profile", login.str("access_token"))
	if r.status != 200 || r.raw != upstreamBody {
		t.Fatalf("protected request of an account holding CRLF in FullName: %d %s", r.status, r.raw)
	}
	got := g.up.last(t).Header
	for _, name := range []string{"X-Auth-Name", "Remote-Name"} {
		if v, ok := got[name]; ok {
			t.Errorf("the upstream got %s: %q", name, v)
		}
	}
	if got.Get("X-Auth-Uid") != uid || got.Get("Remote-User") != username || got.Get("X-Auth-Email") != email {
		t.Errorf("the other identity headers: X-Auth-Uid %q, Remote-User %q, X-Auth-Email %q", got.Get("X-Auth-Uid"), got.Get("Remote-User"), got.Get("X-Auth-Email"))
	}
}

// TestTwinSpellingsOfAnEmailAreNotAccounts is finding 13 of issue 15 on
// real Caddy: `<alice@example.com>` and `x:alice@example.com;` were
// created next to alice@example.com, reached the app in X-Auth-Email and
// had their mail delivered to alice's mailbox. Only a bare addr-spec is an
// email; a twin spelling is 1134 and logs into nothing.
func TestTwinSpellingsOfAnEmailAreNotAccounts(t *testing.T) {
	t.Parallel()
	g := startGateway(t)
	g.createAccount(pin)
	for _, twin := range []string{"<" + email + ">", "x:" + email + ";", "Alice <" + email + ">", `"alice"@example.com`} {
		g.do("POST", apiPrefix+"/manage/account?"+g.manage(), map[string]any{
			"Email": []map[string]string{{"Type": "Primary", "Value": twin}}, "Password": password,
		}).wantError(t, 403, 1134)
		g.do("POST", apiPrefix+"/auth/login?apikey="+g.key(), map[string]string{"email": twin, "password": password}).wantError(t, 401, 966)
	}
	if r := g.passwordLogin(); r.status != 200 {
		t.Fatalf("alice's own login: %d %s", r.status, r.raw)
	}
}

// TestAPresetsUserIsOneAccount is finding 2 of issue 15 on real Caddy,
// the scenario of the issue: with a header preset, an account with no
// UserName whose email is victim@example.com and another account whose
// UserName is victim@example.com both reached the app as that user. The
// second account cannot be made (1017), by creation or by update, and
// each account reaches the app as itself.
func TestAPresetsUserIsOneAccount(t *testing.T) {
	t.Parallel()
	for preset, header := range map[string]string{
		"authelia": "Remote-User", "oauth2-proxy": "X-Forwarded-Preferred-Username", "authentik": "X-Authentik-Username",
	} {
		t.Run(preset, func(t *testing.T) {
			t.Parallel()
			g := startGateway(t, func(s *siteConfig) { s.Extra = "header_preset " + preset }).in(t)
			const victimEmail = "victim@example.com"
			create := func(body map[string]any) response {
				body["Password"] = password
				body["PINInfo"] = map[string]string{"PIN": pin}
				return g.do("POST", apiPrefix+"/manage/account?"+g.manage(), body)
			}
			emails := func(v string) []map[string]string { return []map[string]string{{"Type": "Primary", "Value": v}} }
			if r := create(map[string]any{"Email": emails(victimEmail)}); r.status != 200 {
				t.Fatalf("create the victim: %d %s", r.status, r.raw)
			}
			create(map[string]any{"Email": emails("attacker@example.org"), "UserName": victimEmail}).wantError(t, 403, 1017)
			create(map[string]any{"Email": emails("attacker@example.org"), "UserName": "VICTIM@example.com"}).wantError(t, 403, 1017)
			r := create(map[string]any{"Email": emails("attacker@example.org"), "UserName": "attacker"})
			if r.status != 200 {
				t.Fatalf("create the attacker: %d %s", r.status, r.raw)
			}
			g.do("PUT", apiPrefix+"/manage/account/"+r.str("Uid")+"?"+g.manage(), map[string]any{"UserName": victimEmail}).wantError(t, 403, 1017)

			userOf := func(login string) string {
				t.Helper()
				l := g.do("POST", apiPrefix+"/auth/login?apikey="+g.key(), map[string]string{"email": login, "password": password})
				if l.status != 200 {
					t.Fatalf("login %s: %d %s", login, l.status, l.raw)
				}
				if p := g.protected("/app/whoami", l.str("access_token")); p.status != 200 {
					t.Fatalf("protected request of %s: %d %s", login, p.status, p.raw)
				}
				return g.up.last(t).Header.Get(header)
			}
			if got := userOf(victimEmail); got != victimEmail {
				t.Errorf("the victim's %s = %q", header, got)
			}
			if got := userOf("attacker@example.org"); got != "attacker" {
				t.Errorf("the attacker's %s = %q, want its own user name", header, got)
			}
		})
	}
}

// TestAnUnknownEmailLocksLikeAnAccountAcrossNodes is finding 8 of issue 15
// on real Caddy: an existing email got 966 five times then 1198, an
// unknown one 966 forever, which told which accounts exist. Failures of an
// unknown identifier are counted in the store too: concurrent wrong
// logins spread over three nodes lock it after exactly the lockout's
// attempts, as they lock an account.
func TestAnUnknownEmailLocksLikeAnAccountAcrossNodes(t *testing.T) {
	t.Parallel()
	c := startCluster(t, 3, func(s *siteConfig) { s.Extra = noContention })
	c.nodes[0].createAccount(pin)
	const n, attempts = 60, 5 // attempts: the default lockout
	for _, login := range []string{email, "nobody@example.com"} {
		hits := make([]hit, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		client := &http.Client{Timeout: time.Minute}
		for i := range n {
			wg.Go(func() {
				<-start
				node := c.nodes[i%len(c.nodes)]
				hits[i] = send(client, "POST", node.base+apiPrefix+"/auth/login?apikey="+apiKey, `{"email":"`+login+`","password":"wrong password"}`)
			})
		}
		close(start)
		wg.Wait()
		codes := map[string]int{}
		for _, h := range hits {
			if h.err != nil {
				t.Fatalf("request failed: %v", h.err)
			}
			codes[fmt.Sprintf("%d/%d", h.status, h.code)]++
		}
		if codes["401/966"] != attempts || codes["403/1198"] != n-attempts {
			t.Errorf("%s: %d concurrent wrong logins over 3 nodes answered %v; want exactly %d × 401/966 and the rest 403/1198", login, n, codes, attempts)
		}
	}
}
