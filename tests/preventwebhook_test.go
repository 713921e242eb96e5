package tests

import (
	"net/url"
	"slices"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/notifytest"
)

// TestPreventWebhookSilencesOnlyTheCallersOwnEventsNeverSecurityOnes walks
// an account through everything an attacker holding only the public API
// key (or an app back end with the secret) can do while asking for no
// webhook, by query or by header, on real Caddy with a webhook receiver on
// loopback. The caller's own Register, Login and UpdateProfile stay
// silent, as LoginRadius documents; the PIN set and change, the PIN and
// password resets, the lock five wrong PINs cause and a block are all
// delivered. The receiver sees an account's events in order, so once the
// last, unprevented event has arrived everything before it has too.
func TestPreventWebhookSilencesOnlyTheCallersOwnEventsNeverSecurityOnes(t *testing.T) {
	t.Parallel()
	smtp := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{Username: smtpUser, Password: smtpPass})
	sms := notifytest.NewSMSServer(t, smsSID, smsToken)
	rc := newHookReceiver(t)
	g := resetGateway(t, smtp, sms, "webhook "+rc.url()+" {\n\t\t\tsecret "+hookSecret+"\n\t\t}", "")
	const query = "&prevent_webhook=true"
	header := []string{"X-PreventWebhook", "true"}
	key := "?apikey=" + g.key()

	created := g.do("POST", apiPrefix+"/manage/account?"+g.manage()+query, map[string]any{
		"Email": []map[string]string{{"Type": "Primary", "Value": email}}, "Password": password,
	})
	if created.status != 200 {
		t.Fatalf("create the account: %d %s", created.status, created.raw)
	}
	uid := created.str("Uid")
	first := g.do("POST", apiPrefix+"/auth/login"+key+query, map[string]string{"email": email, "password": password})
	first.wantError(t, 403, 1243)
	pinAuth, _ := first.body["Data"].(map[string]any)["PINAuthToken"].(string)
	set := g.do("POST", apiPrefix+"/auth/pin/set/pinauthtoken"+key+"&pinauthtoken="+url.QueryEscape(pinAuth),
		map[string]string{"pin": pin}, header...)
	if set.status != 200 {
		t.Fatalf("set the first PIN: %d %s", set.status, set.raw)
	}
	if r := g.do("PUT", apiPrefix+"/auth/pin/change"+key+query, map[string]string{"oldPIN": pin, "newPIN": newPIN},
		withToken(set.str("access_token"))...); r.status != 200 {
		t.Fatalf("change the PIN: %d %s", r.status, r.raw)
	}

	wantPosted(t, "forgot PIN", g.forgot("email", "email", email, "&resetpinurl="+url.QueryEscape(resetURL)))
	pinToken := mailedToken(t, smtp, 1)
	wantPosted(t, "reset the PIN", g.do("PUT", apiPrefix+"/auth/pin/reset/token"+key,
		map[string]string{"ResetToken": pinToken, "PIN": pin}, header...))
	wantPosted(t, "forgot password", g.do("POST", apiPrefix+"/auth/password"+key+"&resetpasswordurl="+url.QueryEscape(resetOrigin+"/reset-password"),
		map[string]string{"email": email}))
	passwordToken := mailedToken(t, smtp, 2)
	const newPassword = "a new password after the reset"
	wantPosted(t, "reset the password", g.do("PUT", apiPrefix+"/auth/password/reset"+key+query,
		map[string]string{"ResetToken": passwordToken, "Password": newPassword}))

	login := g.do("POST", apiPrefix+"/auth/login"+key+query, map[string]string{"email": email, "password": newPassword})
	if login.status != 200 || login.str("session_token") == "" {
		t.Fatalf("password login: %d %s", login.status, login.raw)
	}
	// Five wrong PINs lock the account (the default lockout), alternating
	// the query and the header.
	for i := range 5 {
		path := apiPrefix + "/auth/login/pin" + key + "&session_token=" + login.str("session_token")
		var r response
		if i%2 == 0 {
			r = g.do("POST", path+query, map[string]string{"pin": wrongPIN})
		} else {
			r = g.do("POST", path, map[string]string{"pin": wrongPIN}, header...)
		}
		r.wantError(t, 401, 1236)
	}
	g.pinLogin(login.str("session_token"), pin).wantError(t, 403, 1198)

	account := apiPrefix + "/manage/account/" + uid + "?" + g.manage()
	if r := g.do("PUT", account+query, map[string]any{"IsActive": false}); r.status != 200 {
		t.Fatalf("block the account: %d %s", r.status, r.raw)
	}
	// The last event, not prevented.
	if r := g.do("PUT", account, map[string]any{"FirstName": "Alice"}); r.status != 200 {
		t.Fatalf("update the account: %d %s", r.status, r.raw)
	}

	want := []string{"setpin", "changepin", "resetpin", "resetpassword", "blockaccount", "blockaccount", "updateprofile"}
	got := rc.waitOK(len(want), deliveryWait)
	var names []string
	for _, d := range got {
		names = append(names, d.hookName(t))
	}
	if !slices.Equal(names, want) {
		t.Fatalf("the receiver got %v, want %v: a prevented event was sent, or a security event was silenced", names, want)
	}
}

// mailedToken waits for the n-th email and returns the reset token of its
// link.
func mailedToken(t *testing.T, smtp *notifytest.SMTPServer, n int) string {
	t.Helper()
	m := smtp.WaitMails(t, n, messageWait)[n-1]
	em, err := notifytest.ParseEmail(m.Data)
	if err != nil {
		t.Fatalf("parse email %d: %v", n, err)
	}
	found := vtoken.FindStringSubmatch(em.Text)
	if found == nil {
		t.Fatalf("email %d has no reset link:\n%s", n, em.Text)
	}
	return found[1]
}
