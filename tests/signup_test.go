package tests

import (
	"net/url"
	"regexp"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/notifytest"
)

// verifyLink is a verification link's token.
var verifyLink = regexp.MustCompile(`vtoken=([0-9a-f-]{36})&vtype=emailverification`)

// TestSignUpVerifyLoginAndReachTheUpstreamOnRealCaddy walks the sign-up of
// issue 20 on real Caddy, the email through the local SMTP server, on
// SQLite and on PostgreSQL: register (no PIN) → the verification email's
// link → password login (970 before the link, a PINAuthToken after) → the
// first PIN → a PIN login whose token reaches the upstream with the
// account's identity headers.
func TestSignUpVerifyLoginAndReachTheUpstreamOnRealCaddy(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			smtp := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{Username: smtpUser, Password: smtpPass})
			tenant := "allowed_origins " + resetOrigin + "\n\t\t\tregistration open {\n\t\t\t\tverification_url " + resetOrigin +
				"/verify\n\t\t\t\tpassword_min_length 12\n\t\t\t}"
			var g *gateway
			site := func(s *siteConfig) {
				s.TenantExtra = tenant
				s.Extra = senders(smtp, notifytest.NewSMSServer(t, smsSID, smsToken))
			}
			if backend == "sqlite" {
				g = startGateway(t, site)
			} else {
				g = startCluster(t, 1, site).nodes[0]
			}
			const signed = "e2e-signup@example.com"
			body := map[string]any{"Email": []map[string]string{{"Type": "Primary", "Value": signed}}, "Password": password, "FirstName": "Sig"}
			register := apiPrefix + "/auth/register?apikey=" + g.key()
			short := map[string]any{"Email": body["Email"], "Password": "e2e short"}
			g.do("POST", register, short).wantError(t, 403, 1134)
			if r := g.do("POST", register, body); r.status != 200 || r.raw != `{"IsPosted":true,"Data":null}` {
				t.Fatalf("register: %d %s", r.status, r.raw)
			}
			g.do("POST", register, body).wantError(t, 403, 936)
			login := func() response {
				return g.do("POST", apiPrefix+"/auth/login?apikey="+g.key(), map[string]string{"email": signed, "password": password})
			}
			login().wantError(t, 403, 970)

			m := smtp.WaitMails(t, 1, messageWait)[0]
			em, err := notifytest.ParseEmail(m.Data)
			if err != nil {
				t.Fatal(err)
			}
			link := verifyLink.FindStringSubmatch(em.Text)
			if link == nil || m.To[0] != signed {
				t.Fatalf("verification email to %v:\n%s", m.To, em.Text)
			}
			verify := apiPrefix + "/auth/email?apikey=" + g.key() + "&verificationtoken=" + url.QueryEscape(link[1])
			if r := g.do("GET", verify, nil); r.status != 200 || r.body["IsPosted"] != true {
				t.Fatalf("verify: %d %s", r.status, r.raw)
			}
			g.do("GET", verify, nil).wantError(t, 403, 974)

			first := login()
			first.wantError(t, 403, 1243)
			data, _ := first.body["Data"].(map[string]any)
			pinAuth, _ := data["PINAuthToken"].(string)
			set := g.setPIN(pinAuth, pin)
			if set.status != 200 {
				t.Fatalf("set the first PIN: %d %s", set.status, set.raw)
			}
			again := login()
			pinned := g.pinLogin(again.str("session_token"), pin)
			if pinned.status != 200 || pinned.str("access_token") == "" {
				t.Fatalf("PIN login: %d %s", pinned.status, pinned.raw)
			}
			if r := g.protected("/app", pinned.str("access_token")); r.status != 200 {
				t.Fatalf("upstream: %d %s", r.status, r.raw)
			}
			if got := g.up.last(t).Header.Get("X-Auth-Email"); got != signed {
				t.Fatalf("the upstream got X-Auth-Email %q, want %s", got, signed)
			}
		})
	}
}
