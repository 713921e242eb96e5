package pinauth

import (
	"strings"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

const changedPass = "a changed password"

func changePasswordBody(old, next string) map[string]string {
	return map[string]string{"oldpassword": old, "newpassword": next}
}

func TestChangePasswordRevokesOtherSessionsKeepsTheCallersAndRecordsTheEvent(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withWebhook)
	phone := e.loggedIn(testEmail)
	uid := uidOf(phone)
	laptop := e.passwordLogin(testEmail, testPass)
	wantOK(t, "second device login", laptop)
	for _, tok := range []string{phone.str("access_token"), laptop.str("access_token")} {
		wantOK(t, "protected before the change (now cached)", e.protected(tok))
	}
	e.clock.Advance(time.Minute)

	r := e.do("PUT", api("auth/password/change"), changePasswordBody(testPass, changedPass), withToken(phone.str("access_token"))...)
	wantOK(t, "change password", r)
	if r.body["IsPosted"] != true {
		t.Fatalf("change password answer: %s", r.raw)
	}
	wantCode(t, "the other device's cached access token", e.protected(laptop.str("access_token")), 401, 905)
	wantCode(t, "the other device's PIN session token", e.pinLogin(laptop.str("session_token"), testPIN), 403, 1245)
	wantCode(t, "the other device's refresh token", e.refresh(laptop.str("refresh_token")), 403, 1217)
	wantOK(t, "the caller's access token", e.protected(phone.str("access_token")))
	wantCode(t, "the old password", e.passwordLogin(testEmail, testPass), 401, 966)
	wantOK(t, "the new password", e.passwordLogin(testEmail, changedPass))
	if e.countHook(uid, webhook.ChangePassword) != 1 {
		t.Errorf("events %v: want one ChangePassword", e.hooks(uid))
	}
	if strings.Contains(string(r.raw), changedPass) {
		t.Errorf("answer carries the password: %s", r.raw)
	}
}

func TestChangePasswordWithAWrongOldPasswordIs967AndCountsTowardLockout(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withWebhook, func(c *Config) { c.AccessTTL = time.Hour })
	login := e.loggedIn(testEmail)
	uid := uidOf(login)
	tok := withToken(login.str("access_token"))
	for i := range 5 {
		wantCode(t, "wrong old password", e.do("PUT", api("auth/password/change"), changePasswordBody("not the password", changedPass), tok...), 401, 967)
		if got := e.attempts(uid).Failures; got != i+1 {
			t.Fatalf("failures after %d wrong old passwords = %d", i+1, got)
		}
	}
	wantCode(t, "right old password while locked", e.do("PUT", api("auth/password/change"), changePasswordBody(testPass, changedPass), tok...), 403, 1198)
	if e.countHook(uid, webhook.ChangePassword) != 0 {
		t.Errorf("events %v: want no ChangePassword", e.hooks(uid))
	}
	wantOK(t, "the old password still logs in after the lock", func() response {
		e.clock.Advance(16 * time.Minute)
		return e.passwordLogin(testEmail, testPass)
	}())
}

func TestChangePasswordChecksThePolicyAndTheToken(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	login := e.loggedIn(testEmail)
	uid := uidOf(login)
	tok := withToken(login.str("access_token"))
	for name, body := range map[string]map[string]string{
		"short":        changePasswordBody(testPass, "abc"),
		"too long":     changePasswordBody(testPass, strings.Repeat("p", 129)),
		"no old":       changePasswordBody("", changedPass),
		"no new":       {"oldpassword": testPass},
		"empty object": {},
	} {
		wantCode(t, name, e.do("PUT", api("auth/password/change"), body, tok...), 403, 1134)
	}
	if got := e.attempts(uid).Failures; got != 0 {
		t.Errorf("rejected input counted %d failures", got)
	}
	wantCode(t, "no token", e.do("PUT", api("auth/password/change"), changePasswordBody(testPass, changedPass)), 400, 1060)
	wantCode(t, "bad body", e.do("PUT", api("auth/password/change"), `{"oldpassword": 1}`, tok...), 400, 1079)
	wantOK(t, "the old password still works", e.passwordLogin(testEmail, testPass))
}

func TestManageSetPasswordRevokesEverySessionAndAnswersNoHash(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withWebhook)
	login := e.loggedIn(testEmail)
	uid := uidOf(login)
	wantOK(t, "protected before (cached)", e.protected(login.str("access_token")))
	r := e.do("PUT", manage("manage/account/"+uid+"/password"), map[string]string{"password": changedPass})
	wantOK(t, "set password", r)
	if h, ok := r.body["PasswordHash"]; !ok || h != "" || len(r.body) != 1 {
		t.Fatalf("set password answer %s: want only an empty PasswordHash", r.raw)
	}
	wantCode(t, "the cached access token", e.protected(login.str("access_token")), 401, 905)
	wantCode(t, "the PIN session token", e.pinLogin(login.str("session_token"), testPIN), 403, 1245)
	wantCode(t, "the old password", e.passwordLogin(testEmail, testPass), 401, 966)
	wantOK(t, "the new password", e.passwordLogin(testEmail, changedPass))
	if e.countHook(uid, webhook.SetPassword) != 1 {
		t.Errorf("events %v: want one SetPassword", e.hooks(uid))
	}
	wantCode(t, "short", e.do("PUT", manage("manage/account/"+uid+"/password"), map[string]string{"password": "abc"}), 403, 1134)
	wantCode(t, "unknown uid", e.do("PUT", manage("manage/account/nobody/password"), map[string]string{"password": changedPass}), 403, 938)
	wantCode(t, "no secret", e.do("PUT", api("manage/account/"+uid+"/password"), map[string]string{"password": changedPass}), 401, 902)
}

func TestManageGetPasswordIsRefusedForEveryAccount(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	uid := uidOf(e.loggedIn(testEmail))
	for _, id := range []string{uid, "nobody"} {
		r := e.do("GET", manage("manage/account/"+id+"/password"), nil)
		wantCode(t, "password hash of "+id, r, 403, 1144)
		if _, ok := r.body["PasswordHash"]; ok {
			t.Errorf("refusal carries a PasswordHash: %s", r.raw)
		}
	}
}
