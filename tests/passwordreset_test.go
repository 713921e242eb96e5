package tests

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/internal/lrfixture"
	"github.com/pinauth/caddy-pinauth/pinauth/notifytest"
)

// TestImportedAccountResetsItsPasswordAndLogsInOnRealCaddy is the way in
// of an account imported from LoginRadius without secrets: the import
// marks it to reset, a password login fails, the forgot-password email
// carries a reset link, the reset sets the password, the first login asks
// for a PIN, and with it the account reaches the protected upstream.
func TestImportedAccountResetsItsPasswordAndLogsInOnRealCaddy(t *testing.T) {
	t.Parallel()
	smtp := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{Username: smtpUser, Password: smtpPass})
	sms := notifytest.NewSMSServer(t, smsSID, smsToken)
	g := resetGateway(t, smtp, sms, "", "")

	const n = 1000
	path := filepath.Join(t.TempDir(), "export.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	exp, err := lrfixture.Write(f, n, lrfixture.JSONArray)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, status := g.cliRun("", "import", path)
	wantStatus := 0
	if len(exp.Invalid) > 0 {
		wantStatus = 4
	}
	if status != wantStatus || !strings.Contains(out, fmt.Sprintf("imported %d records: %d created", n, exp.Valid)) {
		t.Fatalf("import: status %d\n%s\n%s", status, out, errOut)
	}

	user := lrfixture.Email(1)
	const newPassword = "my own password at last"
	login := func(pw string) response {
		return g.do("POST", apiPrefix+"/auth/login?apikey="+g.key(), map[string]string{"email": user, "password": pw})
	}
	login(newPassword).wantError(t, 401, 966)

	q := "?apikey=" + g.key() + "&resetpasswordurl=" + url.QueryEscape(resetOrigin+"/reset-password")
	forgot := func(addr string) response {
		return g.do("POST", apiPrefix+"/auth/password"+q, map[string]string{"email": addr})
	}
	wantPosted(t, "forgot password for an unknown address", forgot("nobody@example.com"))
	g.do("POST", apiPrefix+"/auth/password?apikey="+g.key()+"&resetpasswordurl="+url.QueryEscape("https://evil.example.com/r"),
		map[string]string{"email": user}).wantError(t, 403, 908)
	wantPosted(t, "forgot password", forgot(user))

	m := smtp.WaitMails(t, 1, messageWait)[0]
	if len(m.To) != 1 || m.To[0] != user {
		t.Fatalf("envelope to %v", m.To)
	}
	em, err := notifytest.ParseEmail(m.Data)
	if err != nil {
		t.Fatalf("parse the email: %v", err)
	}
	found := vtoken.FindStringSubmatch(em.Text)
	if em.Subject != "Reset your password" || found == nil || !strings.Contains(em.Text, "&vtype=reset") {
		t.Fatalf("email %q without a password reset link:\n%s", em.Subject, em.Text)
	}
	token := found[1]

	reset := func(tok, pw string) response {
		return g.do("PUT", apiPrefix+"/auth/password/reset?apikey="+g.key(), map[string]string{"ResetToken": tok, "Password": pw})
	}
	// A password reset token is no PIN reset token.
	g.do("PUT", apiPrefix+"/auth/pin/reset/token?apikey="+g.key(), map[string]string{"ResetToken": token, "PIN": newPIN}).
		wantError(t, 403, 1248)
	reset(token, "short").wantError(t, 403, 1134)
	wantPosted(t, "reset password", reset(token, newPassword))
	reset(token, "another password").wantError(t, 403, 908)

	first := login(newPassword)
	first.wantError(t, 403, 1243)
	pinAuth, _ := first.body["Data"].(map[string]any)["PINAuthToken"].(string)
	if set := g.setPIN(url.QueryEscape(pinAuth), newPIN); set.status != 200 {
		t.Fatalf("set the first PIN: %d %s", set.status, set.raw)
	}
	second := login(newPassword)
	if second.status != 200 || second.str("session_token") == "" {
		t.Fatalf("password login with a PIN set: %d %s", second.status, second.raw)
	}
	pinned := g.pinLogin(second.str("session_token"), newPIN)
	if pinned.status != 200 || pinned.str("access_token") == "" {
		t.Fatalf("PIN login: %d %s", pinned.status, pinned.raw)
	}
	g.cachedOK("the imported account's access token", pinned.str("access_token"))

	if n := len(smtp.Mails()); n != 1 {
		t.Fatalf("%d emails sent, want 1 (none for the unknown address)", n)
	}
	for _, secret := range []string{smtpPass, token, newPassword} {
		if strings.Contains(g.proc.Logs(), secret) {
			t.Errorf("caddy's output contains a secret")
		}
	}
}
