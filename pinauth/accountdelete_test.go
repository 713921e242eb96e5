package pinauth

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/notify"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres"
	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres/pgtest"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// deletePage is the app's page of the deletion links in these tests.
const deletePage = appOrigin + "/account/delete?lang=en"

// askDeletion calls DELETE /auth/account with the access token tok and
// the query's extra parameters.
func (e *resetEnv) askDeletion(tok, query string) response {
	e.t.Helper()
	return e.do("DELETE", api("auth/account")+query, nil, withToken(tok)...)
}

// confirmDeletion calls GET /auth/account/delete with deletetoken.
func (e *testEnv) confirmDeletion(apiKey, token string) response {
	e.t.Helper()
	return e.do("GET", "/identity/v2/auth/account/delete?apikey="+apiKey+"&deletetoken="+url.QueryEscape(token), nil)
}

// deletionLink asks for a deletion link to deletePage and returns the
// token of the n-th email, checking the link's page and vtype.
func (e *resetEnv) deletionLink(tok string, n int) string {
	e.t.Helper()
	r := e.askDeletion(tok, "&deleteurl="+url.QueryEscape(deletePage))
	if r.status != 200 || r.raw != `{"IsDeleteRequestAccepted":true}` {
		e.t.Fatalf("ask for deletion: %d %s", r.status, r.raw)
	}
	_, em := e.nthEmail(n)
	if !strings.Contains(em.Text, appOrigin+"/account/delete?") || !strings.Contains(em.Text, "vtype=delete") {
		e.t.Fatalf("the email's link is not the deletion page's:\n%s", em.Text)
	}
	return tokenFrom(e.t.(*testing.T), em)
}

// onBothStores runs f on a gateway with email delivery over SQLite and
// over PostgreSQL (skipped, as elsewhere, without a PostgreSQL DSN).
func onBothStores(t *testing.T, f func(t *testing.T, e *resetEnv), mutate ...func(*Config)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		f(t, newResetEnv(t, mutate...))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		st, err := postgres.Open(t.Context(), postgres.Config{DSN: pgtest.DSN(t), MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		f(t, newResetEnvOn(t, st, mutate...))
	})
}

// TestDeleteAccountByEmailConfirmationDeletesEverythingOnce: the mailed
// token is stored hashed, replaced by a newer one, expires, belongs to
// its tenant, and deletes the account once; afterwards its sessions,
// tokens, identifiers and login are gone, the identifiers are free, and
// the DeleteAccount event is recorded.
func TestDeleteAccountByEmailConfirmationDeletesEverythingOnce(t *testing.T) {
	t.Parallel()
	onBothStores(t, func(t *testing.T, e *resetEnv) {
		uid := e.createPhoneAccount(testEmail, "alice", testPhone, testPIN)
		login := e.passwordLogin(testEmail, testPass)
		tok := login.str("access_token")
		wantOK(t, "protected before", e.protected(tok))
		if r := e.do("PUT", manage("manage/account/"+uid), map[string]any{"SecurityQuestionAnswer": map[string]string{"q1": "Paris"}}); r.status != 200 {
			t.Fatalf("set answers: %d %s", r.status, r.raw)
		}

		first := e.deletionLink(tok, 1)
		if _, found, _ := e.store.Token(t.Context(), store.TokenAccountDelete, first); found {
			t.Error("the delete token is stored in clear")
		}
		stored, found, err := e.store.Token(t.Context(), store.TokenAccountDelete, secret.TokenHash(first))
		if err != nil || !found || stored.UID != uid || !stored.ExpiresAt.Equal(stored.CreatedAt.Add(config.DefaultDeleteTokenTTL)) {
			t.Fatalf("stored delete token = %+v, %v, %v; want its hash, bound to %s, valid %v", stored, found, err, uid, config.DefaultDeleteTokenTTL)
		}
		second := e.deletionLink(tok, 2)
		wantCode(t, "a replaced token", e.confirmDeletion(testKey, first), 403, 1119)
		e.clock.Advance(config.DefaultDeleteTokenTTL)
		wantCode(t, "an expired token", e.confirmDeletion(testKey, second), 403, 1119)
		third := e.deletionLink(tok, 3)
		wantCode(t, "another tenant's key", e.confirmDeletion(otherKey, third), 403, 1119)
		wantCode(t, "no token", e.do("GET", api("auth/account/delete"), nil), 403, 908)
		wantCode(t, "a made-up token", e.confirmDeletion(testKey, "00000000-0000-4000-8000-000000000000"), 403, 1119)
		if _, found, _ := e.store.Account(t.Context(), "demo", uid); !found {
			t.Fatal("a refused confirmation deleted the account")
		}

		r := e.confirmDeletion(testKey, third)
		if r.status != 200 || r.raw != `{"IsPosted":true}` {
			t.Fatalf("confirm: %d %s", r.status, r.raw)
		}
		wantCode(t, "the token a second time", e.confirmDeletion(testKey, third), 403, 1119)

		if _, found, _ := e.store.Account(t.Context(), "demo", uid); found {
			t.Error("the account survived")
		}
		wantCode(t, "the deleted account's access token", e.protected(tok), 401, 905)
		wantCode(t, "its PIN session token", e.pinLogin(login.str("session_token"), testPIN), 403, 1245)
		wantCode(t, "its refresh token", e.refresh(login.str("refresh_token")), 403, 1217)
		wantCode(t, "its password", e.passwordLogin(testEmail, testPass), 401, 966)
		if _, found, _ := e.store.Attempts(t.Context(), store.AccountRef{Tenant: "demo", UID: uid}); found {
			t.Error("the attempt counter survived")
		}
		if e.countHook(uid, webhook.DeleteAccount) != 1 {
			t.Errorf("events %v: want one DeleteAccount", e.hooks(uid))
		}
		e.createPhoneAccount(strings.ToUpper(testEmail), "Alice", testPhone, testPIN)
	}, withWebhook, withQuestions, func(c *Config) { c.AccessTTL = 2 * time.Hour })
}

// TestDeleteAccountRequestRefusals: every refusal of DELETE /auth/account
// sends nothing and deletes nothing.
func TestDeleteAccountRequestRefusals(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, func(c *Config) {
		c.Email.Limit = notify.SendLimit{PerIdentifier: 2, PerIP: 50, Window: time.Hour}
	})
	login := e.loggedIn(testEmail)
	uid, tok := uidOf(login), login.str("access_token")
	page := "&deleteurl=" + url.QueryEscape(deletePage)
	wantCode(t, "no access token", e.do("DELETE", api("auth/account")+page, nil), 400, 1060)
	wantCode(t, "a bad access token", e.askDeletion("not-a-token", page), 403, 905)
	wantCode(t, "no deleteurl and no tenant default", e.askDeletion(tok, ""), 403, 908)
	wantCode(t, "a deleteurl on another origin", e.askDeletion(tok, "&deleteurl="+url.QueryEscape("https://evil.example/x")), 403, 908)
	e.waitIdle()
	if n := len(e.smtp.Mails()); n != 0 {
		t.Fatalf("refusals sent %d emails", n)
	}
	e.deletionLink(tok, 1)
	e.deletionLink(tok, 2)
	wantCode(t, "over the address's email limit", e.askDeletion(tok, page), 403, 1122)
	e.waitIdle()
	if n := len(e.smtp.Mails()); n != 2 {
		t.Fatalf("%d emails sent, want 2", n)
	}
	if _, found, _ := e.store.Account(t.Context(), "demo", uid); !found {
		t.Fatal("asking deleted the account")
	}

	noMail := newTestEnv(t)
	tok = noMail.loggedIn(testEmail).str("access_token")
	wantCode(t, "without email settings", noMail.do("DELETE", api("auth/account")+page, nil, withToken(tok)...), 403, 1144)
}

// TestDeleteAccountLinkGoesToTheTenantsDefaultPage: without deleteurl the
// link points to the tenant's delete_account_url.
func TestDeleteAccountLinkGoesToTheTenantsDefaultPage(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, func(c *Config) { c.Tenants[0].DeleteAccountURL = deletePage })
	tok := e.loggedIn(testEmail).str("access_token")
	if r := e.askDeletion(tok, ""); r.status != 200 {
		t.Fatalf("ask: %d %s", r.status, r.raw)
	}
	_, em := e.nthEmail(1)
	if !strings.Contains(em.Text, deletePage+"&vtoken=") && !strings.Contains(em.Text, appOrigin+"/account/delete?lang=en&vtoken=") {
		t.Fatalf("the link is not on the tenant's page:\n%s", em.Text)
	}
}

// TestDeleteAccountByTokenRefusesABlockedAccount: an account an operator
// blocked after the mail keeps its data; its token stays unused.
func TestDeleteAccountByTokenRefusesABlockedAccount(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t)
	login := e.loggedIn(testEmail)
	uid, token := uidOf(login), e.deletionLink(login.str("access_token"), 1)
	if r := e.do("PUT", manage("manage/account/"+uid), map[string]any{"IsActive": false}); r.status != 200 {
		t.Fatalf("block: %d %s", r.status, r.raw)
	}
	wantCode(t, "a blocked account's token", e.confirmDeletion(testKey, token), 403, 991)
	if _, found, _ := e.store.Account(t.Context(), "demo", uid); !found {
		t.Fatal("the blocked account was deleted")
	}
	if tk, _, _ := e.store.Token(t.Context(), store.TokenAccountDelete, secret.TokenHash(token)); !tk.UsedAt.IsZero() {
		t.Error("the refused confirmation used the token")
	}
}

// TestConcurrentConfirmationsDeleteOnce: of many confirmations with one
// token exactly one deletes; the others are 1119. The one DeleteAccount
// event is recorded although each caller sent X-PreventWebhook.
func TestConcurrentConfirmationsDeleteOnce(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, func(c *Config) { withWebhook(c); c.RateLimit.Requests = 1000 })
	login := e.loggedIn(testEmail)
	uid, token := uidOf(login), e.deletionLink(login.str("access_token"), 1)
	codes := concurrently(20, func() int {
		// The caller asks for no webhook: the app hears of the deletion
		// all the same.
		r := e.do("GET", "/identity/v2/auth/account/delete?apikey="+testKey+"&deletetoken="+url.QueryEscape(token), nil, "X-PreventWebhook", "true")
		if r.status == 200 {
			return 200
		}
		return r.code()
	})
	if codes[200] != 1 || codes[1119] != 19 {
		t.Fatalf("20 concurrent confirmations got %v; want one 200 and 19 × 1119", codes)
	}
	if e.countHook(uid, webhook.DeleteAccount) != 1 {
		t.Errorf("events %v: want one DeleteAccount", e.hooks(uid))
	}
}
