//go:build !race && unix

package pinauth

import "testing"

// TestResetsByAnswerTakeTheSameTimeForKnownAndUnknownAccounts compares,
// at the real default hash cost, wrong answers for an account that has
// answers with the same answers for an unknown address, on the password
// reset by answer and on the PIN reset by answer (one check serves both):
// the unknown account's dummy hashes must cost what the account's answer
// comparisons cost.
func TestResetsByAnswerTakeTheSameTimeForKnownAndUnknownAccounts(t *testing.T) {
	e := newTestEnv(t, withQuestions, atRealHashCost(t))
	answeredAccount(t, e)
	call := func(path, body string) func() int {
		return func() int { return handleJSON(e.gw, "PUT", path, body).Code }
	}
	const wrong = `"securityanswer":{"q1":"Paris","q2":"Fido"}`
	for _, c := range []struct{ what, path, rest string }{
		{"password reset by answer", api("auth/password/securityanswer"), `"password":"never set 123"`},
		{"PIN reset by answer", api("auth/pin/reset/securityanswer/email"), `"pin":"` + newTestPIN + `"`},
	} {
		within15Percent(t, comparison{what: c.what + ": wrong answers vs an unknown account",
			a: timingCase{call(c.path, `{"email":"`+testEmail+`",`+wrong+`,`+c.rest+`}`), 403},
			b: timingCase{call(c.path, `{"email":"nobody@example.com",`+wrong+`,`+c.rest+`}`), 403}})
	}
}
