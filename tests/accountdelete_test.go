package tests

import (
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/notifytest"
	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres/pgtest"
)

// TestDeleteAccountByEmailConfirmationOnRealCaddy deletes an account the
// self-service way (issue 20) on real Caddy, with the local SMTP server,
// on SQLite and on PostgreSQL: the ask mails a link to the tenant's
// delete_account_url valid delete_token_ttl (both from the Caddyfile),
// the account stays until the link's token is sent, then its cached
// access token is refused at once, the token a second time, and a login
// fails as for an unknown user; its email is free for a new account.
func TestDeleteAccountByEmailConfirmationOnRealCaddy(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			smtp := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{Username: smtpUser, Password: smtpPass})
			sms := notifytest.NewSMSServer(t, smsSID, smsToken)
			deletePage := resetOrigin + "/delete-account"
			g := startGateway(t, func(s *siteConfig) {
				s.TenantExtra = "allowed_origins " + resetOrigin + "\n\t\t\tdelete_account_url " + deletePage
				s.Extra = senders(smtp, sms) + "\n\t\tdelete_token_ttl 20m"
				if backend == "postgres" {
					s.Store = "store postgres " + pgtest.DSN(t)
				}
			})
			login, uid := g.loggedIn()
			tok := login.str("access_token")
			g.cachedOK("the access token before the deletion", tok)
			q := "?apikey=" + g.key()

			g.do("DELETE", apiPrefix+"/auth/account"+q, nil).wantError(t, 400, 1060)
			ask := g.do("DELETE", apiPrefix+"/auth/account"+q, nil, withToken(tok)...)
			if ask.status != 200 || ask.raw != `{"IsDeleteRequestAccepted":true}` {
				t.Fatalf("ask for the deletion: %d %s", ask.status, ask.raw)
			}
			m := smtp.WaitMails(t, 1, messageWait)[0]
			if len(m.To) != 1 || m.To[0] != email {
				t.Fatalf("the mail went to %v", m.To)
			}
			em, err := notifytest.ParseEmail(m.Data)
			if err != nil {
				t.Fatal(err)
			}
			found := vtoken.FindStringSubmatch(em.Text)
			if em.Subject != "Confirm the deletion of your account" || found == nil ||
				!strings.Contains(em.Text, deletePage+"?") || !strings.Contains(em.Text, "vtype=delete") ||
				!strings.Contains(em.Text, "within 20 minutes") {
				t.Fatalf("email %q:\n%s", em.Subject, em.Text)
			}
			token := found[1]
			g.cachedOK("the access token while the mail waits", tok)

			confirm := func() response {
				return g.do("GET", apiPrefix+"/auth/account/delete"+q+"&deletetoken="+token, nil)
			}
			if r := confirm(); r.status != 200 || r.raw != `{"IsPosted":true}` {
				t.Fatalf("confirm: %d %s", r.status, r.raw)
			}
			confirm().wantError(t, 403, 1119)
			g.protected("/app", tok).wantError(t, 401, 905)
			g.passwordLogin().wantError(t, 401, 966)
			g.do("GET", apiPrefix+"/manage/account/"+uid+"?"+g.manage(), nil).wantError(t, 403, 938)
			if fresh := g.createAccount(pin); fresh == uid {
				t.Fatal("the new account got the deleted one's Uid")
			}
			if r := g.passwordLogin(); r.status != 200 {
				t.Fatalf("login of the new account with the freed email: %d %s", r.status, r.raw)
			}
		})
	}
}
