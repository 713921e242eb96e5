package pinauth

import (
	"slices"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

func TestOwnProfileReadAndUpdate(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withWebhook)
	login := e.loggedIn(testEmail)
	uid := uidOf(login)
	tok := login.str("access_token")

	r := e.do("GET", api("auth/account"), nil, withToken(tok)...)
	wantOK(t, "profile", r)
	if r.str("Uid") != uid || r.str("FirstName") != "Alice" {
		t.Fatalf("profile: %s", r.raw)
	}
	noSecrets(t, r, testPass, "argon2id")
	wantOK(t, "protected (profile now cached)", e.protected(tok))

	// Not the caller's to change with an access token: refused, naming
	// each, and nothing of the body is written (issue 16: never accepted
	// and dropped).
	r = e.do("PUT", api("auth/account"), map[string]any{
		"FirstName": "Mallory",
		"Roles":     []string{"superuser"}, "IsActive": false, "EmailVerified": true,
		"Email":    []map[string]string{{"Type": "Primary", "Value": "mallory@example.com"}},
		"Password": "a new password", "PhoneId": "+15559990000",
	}, withToken(tok)...)
	wantCode(t, "update of protected fields", r, 403, 1134)
	var refused []string
	for _, f := range r.body["Errors"].([]any) {
		refused = append(refused, f.(map[string]any)["FieldName"].(string))
	}
	slices.Sort(refused)
	if want := []string{"Email", "EmailVerified", "IsActive", "Password", "PhoneId", "Roles"}; !slices.Equal(refused, want) {
		t.Fatalf("refused %v, want %v", refused, want)
	}
	r = e.do("PUT", api("auth/account"), map[string]any{
		"FirstName": "Alicia", "CustomFields": map[string]string{"team": "red"}, "UserName": "alicia",
		// The profile as read: equal values of the protected fields pass.
		"Roles": []string{"user", "admin"}, "IsActive": true, "EmailVerified": false,
		"Email": []map[string]string{{"Type": "Primary", "Value": testEmail}},
	}, withToken(tok)...)
	wantOK(t, "update", r)
	data, _ := r.body["Data"].(map[string]any)
	if r.body["IsPosted"] != true || data["FirstName"] != "Alicia" || data["Uid"] != uid || data["UserName"] != "alicia" {
		t.Fatalf("update answer: %s", r.raw)
	}
	a := e.account(uid)
	if !slices.Equal(a.Roles, []string{"user", "admin"}) || !a.Active || a.EmailVerified || a.PrimaryEmail() != testEmail || a.Phone != "" || a.Username != "alicia" {
		t.Fatalf("a protected field changed, or the user name did not: %+v", a)
	}
	wantOK(t, "the old password still works", e.passwordLogin(testEmail, testPass))
	wantOK(t, "protected after the update", e.protected(tok))
	calls := e.upstream.calls()
	if got := calls[len(calls)-1].Get("X-Auth-Name"); got != "Alicia Smith" {
		t.Fatalf("X-Auth-Name after the update = %q: the cached profile was not dropped", got)
	}
	if e.countHook(uid, webhook.UpdateProfile) != 1 {
		t.Fatalf("events %v: want one UpdateProfile", e.hooks(uid))
	}
	wantCode(t, "PINInfo on an account with a PIN", e.do("PUT", api("auth/account"), map[string]any{"PINInfo": map[string]string{"PIN": newPIN}}, withToken(tok)...), 403, 1134)
	wantOK(t, "the PIN is unchanged", e.pinLogin(login.str("session_token"), testPIN))
	wantCode(t, "no token", e.do("GET", api("auth/account"), nil), 400, 1060)
	wantCode(t, "bad body", e.do("PUT", api("auth/account"), `{"FirstName": 5}`, withToken(tok)...), 400, 1079)
}

func TestOwnProfileSetsAFirstPINWhenThePINIsOptional(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withWebhook, func(c *Config) { c.Tenants[0].PINOptional = true })
	uid := e.createAccount(testEmail, "")
	login := e.passwordLogin(testEmail, testPass)
	wantOK(t, "password login without a PIN", login)
	if login.str("session_token") != "" {
		t.Fatalf("a session token without a PIN: %s", login.raw)
	}
	tok := login.str("access_token")
	wantCode(t, "weak PIN", e.do("PUT", api("auth/account"), map[string]any{"PINInfo": map[string]string{"PIN": "1111"}}, withToken(tok)...), 403, 1134)
	r := e.do("PUT", api("auth/account"), map[string]any{"PINInfo": map[string]string{"PIN": testPIN}}, withToken(tok)...)
	wantOK(t, "set a first PIN", r)
	noSecrets(t, r, testPIN+`"`)
	if e.countHook(uid, webhook.SetPIN) != 1 {
		t.Fatalf("events %v: want one SetPIN", e.hooks(uid))
	}
	again := e.passwordLogin(testEmail, testPass)
	wantOK(t, "password login with a PIN", again)
	wantOK(t, "PIN login", e.pinLogin(again.str("session_token"), testPIN))
	wantCode(t, "overwrite it", e.do("PUT", api("auth/account"), map[string]any{"PINInfo": map[string]string{"PIN": newPIN}}, withToken(tok)...), 403, 1134)
}
