package pinauth

import (
	"net/url"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
)

// The look-alike policy (SECURITY.md): emails are ASCII, and no character
// outside ASCII matches an ASCII one, so a look-alike can neither be
// registered beside an account nor log into it.
func TestLookAlikeEmailsCannotBeRegisteredNorLogIntoTheAccountTheyImitate(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	const kate = "kate.smith@example.com"
	env.createAccount(kate, testPIN)
	lookAlikes := map[string]string{
		"Cyrillic а":                "k\u0430te.smith@example.com",
		"fullwidth commercial at":   "kate.smith\uFF20example.com",
		"fullwidth letters":         "\uFF4Bate.smith@example.com",
		"Kelvin sign for K":         "\u212Aate.smith@example.com",
		"dotted capital I for i":    "kate.sm\u0130th@example.com",
		"combining mark":            "ka\u0301te.smith@example.com",
		"mathematical bold letters": "\U0001D48Cate.smith@example.com",
	}
	for name, email := range lookAlikes {
		r := env.do("POST", manage("manage/account"), map[string]any{
			"Email": []map[string]string{{"Value": email}}, "Password": testPass,
		})
		wantCode(t, name+": registering", r, 403, int(lrerr.CodeValidation))
		if f := fieldNames(r); len(f) != 1 || f[0] != "Email" {
			t.Errorf("%s: field errors %v, want Email", name, f)
		}
		wantCode(t, name+": logging in", env.passwordLogin(email, testPass), 401, int(lrerr.CodeBadCredentials))
		wantCode(t, name+": looking up", env.do("GET", manage("manage/account")+"&email="+url.QueryEscape(email), nil), 403, int(lrerr.CodeUserNotFound))
	}
	// The canonical form, in any ASCII case and with surrounding space,
	// logs in as before.
	for _, email := range []string{kate, "KATE.Smith@Example.COM", "  kate.smith@example.com "} {
		if r := env.passwordLogin(email, testPass); r.status != 200 {
			t.Errorf("login as %q: %d %s", email, r.status, r.raw)
		}
	}
}
