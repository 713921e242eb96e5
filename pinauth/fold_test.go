package pinauth

import (
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
)

func TestAKeyRepeatedUnderUnicodeCaseFoldingIsADuplicate(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	env.createAccount(testEmail, testPIN)
	// encoding/json would decode "paſſword" (long s) into Password: had
	// the duplicate check lower-cased with strings.ToLower, this body
	// would pass it and log in with the second password.
	for _, c := range []struct {
		name, body string
		ok         bool
	}{
		{"long s", `{"email":"` + testEmail + `","password":"wrong password","paſſword":"` + testPass + `"}`, false},
		{"upper case", `{"email":"` + testEmail + `","password":"` + testPass + `","PASSWORD":"x"}`, false},
		// Dotless ı is not a case variant of i for EqualFold or for
		// encoding/json: another key, ignored.
		{"dotless i", `{"email":"` + testEmail + `","ema\u0131l":"x","password":"` + testPass + `"}`, true},
	} {
		r := env.do("POST", api("auth/login"), c.body)
		if c.ok {
			wantOK(t, c.name, r)
		} else {
			wantCode(t, c.name, r, 400, int(lrerr.CodePostBodyInvalid))
		}
	}
}

func TestARepeatedQueryParameterInAnySpellingTakesItsFirstOccurrence(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	env.createAccount(testEmail, testPIN)
	body := map[string]string{"email": testEmail, "password": testPass}
	// Map order used to decide which spelling won; now the query's order
	// does, every time.
	for range 20 {
		r := env.do("POST", "/identity/v2/auth/login?apiKey="+testKey+"&apikey=unknown-key&APIKEY="+otherKey, body)
		wantOK(t, "the first apikey selects the tenant", r)
		r = env.do("POST", "/identity/v2/auth/login?apikey=unknown-key&apiKey="+testKey, body)
		wantCode(t, "the first apikey is unknown", r, 403, int(lrerr.CodeAPIKeyUnauthorized))
	}
}
