package pinauth

import (
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// TestManagementEmailRoutesChangeTheNextRequestAndKeepAnIdentifier: PUT
// and DELETE /manage/account/{uid}/email (issue 20) answer the profile,
// change X-Auth-Email from the account's next request, refuse another
// account's email (936) and the removal of an account's only identifier
// (1005), and always record their events.
func TestManagementEmailRoutesChangeTheNextRequestAndKeepAnIdentifier(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withWebhook)
	login := e.loggedIn(testEmail)
	uid, access := uidOf(login), login.str("access_token")
	email := func() string {
		t.Helper()
		if r := e.protected(access); r.status != 200 {
			t.Fatalf("protected request: %d %s", r.status, r.raw)
		}
		calls := e.upstream.calls()
		return calls[len(calls)-1].Get("X-Auth-Email")
	}
	if got := email(); got != testEmail {
		t.Fatalf("X-Auth-Email = %q", got)
	}
	path := manage("manage/account/"+uid+"/email") + "&prevent_webhook=true"
	wantCode(t, "only identifier", e.do("DELETE", path, map[string]any{"email": testEmail}), 403, 1005)
	r := e.do("PUT", path, map[string]any{"Email": []map[string]string{{"Type": "Secondary", "Value": "alice2@example.com"}}})
	wantOK(t, "upsert", r)
	if r.str("Uid") != uid {
		t.Fatalf("upsert answer: %s", r.raw)
	}
	wantOK(t, "delete", e.do("DELETE", path, map[string]any{"email": testEmail}))
	if got := email(); got != "alice2@example.com" {
		t.Fatalf("X-Auth-Email after the removal = %q", got)
	}
	wantCode(t, "not the account's", e.do("DELETE", path, map[string]any{"email": testEmail}), 403, 1023)
	// By access token: the caller's only identifier stays.
	own := api("auth/email")
	wantCode(t, "own only identifier", e.do("DELETE", own, map[string]any{"email": "alice2@example.com"}, withToken(access)...), 403, 1005)
	wantOK(t, "upsert again", e.do("PUT", path, map[string]any{"Email": []map[string]string{{"Type": "Secondary", "Value": "alice3@example.com"}}}))
	if r := e.do("DELETE", own, map[string]any{"email": "Alice3@example.com"}, withToken(access)...); r.status != 200 || r.raw != `{"IsDeleted":true}` {
		t.Fatalf("own removal: %d %s", r.status, r.raw)
	}
	wantCode(t, "own removal without a token", e.do("DELETE", own, map[string]any{"email": "alice2@example.com"}), 400, 1060)
	e.createAccount("bob@example.com", "")
	wantCode(t, "bob's", e.do("PUT", path, map[string]any{"Email": []map[string]string{{"Type": "Primary", "Value": "Bob@example.com"}}}), 403, 936)
	if e.countHook(uid, webhook.AddEmail) != 2 || e.countHook(uid, webhook.RemoveEmail) != 2 {
		t.Errorf("events %v; want two AddEmail and two RemoveEmail despite prevent_webhook", e.hooks(uid))
	}
	if r := e.passwordLogin("alice2@example.com", testPass); r.status != 200 {
		t.Errorf("login by the added email: %d %s", r.status, r.raw)
	}
	if r := e.passwordLogin(testEmail, testPass); r.status == 200 {
		t.Errorf("login by the removed email succeeded")
	}
}
