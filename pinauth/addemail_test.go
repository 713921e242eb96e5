package pinauth

import (
	"net/url"
	"slices"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// TestAddEmailByTokenWaitsForItsVerification: POST /auth/email (issue 20)
// adds the address as awaiting verification, its name taken from other
// accounts, and mails its link, which verifies it. An address any account
// has is 936, a missing one 1134, a verificationurl off the allowed
// origins 908 (nothing written); AddEmail is recorded.
func TestAddEmailByTokenWaitsForItsVerification(t *testing.T) {
	t.Parallel()
	onBothStores(t, func(t *testing.T, e *resetEnv) {
		login := e.loggedIn(testEmail)
		uid, tok := uidOf(login), login.str("access_token")
		add := func(body map[string]string, query string) response {
			return e.do("POST", api("auth/email")+query, body, "Authorization", "Bearer "+tok)
		}
		const extra = "second@example.com"
		wantCode(t, "foreign verificationurl", add(map[string]string{"email": extra, "type": "Secondary"},
			"&verificationurl="+url.QueryEscape("https://evil.example/verify")), 403, int(lrerr.CodeParameterFormat))
		if a := e.account(uid); len(a.UnverifiedEmails) != 0 {
			t.Fatalf("a refused call added %v", a.UnverifiedEmails)
		}
		r := add(map[string]string{"email": extra, "type": "Secondary"}, "")
		wantOK(t, "add", r)
		if r.raw != `{"IsPosted":true}` {
			t.Fatalf("answer %s", r.raw)
		}
		a := e.account(uid)
		if !a.AddressPending(extra) || a.AddressVerified(extra) || len(a.UnverifiedEmails) != 1 || a.UnverifiedEmails[0].Type != "Secondary" {
			t.Fatalf("after adding: %+v", a)
		}
		wantCode(t, "the pending address elsewhere", e.do("POST", manage("manage/account"),
			map[string]any{"Email": []map[string]string{{"Type": "Primary", "Value": extra}}, "Password": testPass}), 403, int(lrerr.CodeEmailTaken))
		wantCode(t, "own address", add(map[string]string{"email": testEmail, "type": "Secondary"}, ""), 403, int(lrerr.CodeEmailTaken))
		wantCode(t, "missing", add(map[string]string{"type": "Secondary"}, ""), 403, int(lrerr.CodeValidation))
		m, em := e.nthEmail(1)
		if len(m.To) != 1 || m.To[0] != extra {
			t.Fatalf("verification email to %v", m.To)
		}
		wantOK(t, "verify", e.verifyByToken(tokenFrom(t, em)))
		if a := e.account(uid); !slices.ContainsFunc(a.Emails, func(x store.Email) bool { return x.Value == extra }) {
			t.Fatalf("not verified: %+v", a)
		}
		if n := e.countHook(uid, webhook.AddEmail); n != 1 {
			t.Errorf("events %v; want one AddEmail", e.hooks(uid))
		}
	}, withWebhook, withRegistration(func(r *config.Registration) { r.AllowUnverified = true }))
}
