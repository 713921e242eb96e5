//go:build !race && unix

package pinauth

import (
	"strconv"
	"testing"
	"time"
)

// TestSignUpOfATakenAddressCostsWhatANewOneDoes: at the real hash cost, a
// sign-up naming a taken address (936) does the hashing work of one that
// creates an account (the secrets are hashed before the store is asked),
// within 15% of process CPU time: no cheap probe of addresses.
func TestSignUpOfATakenAddressCostsWhatANewOneDoes(t *testing.T) {
	e := newResetEnv(t, withRegistration(), atRealHashCost(t))
	path := "/identity/v2/auth/register?apikey=" + testKey + "&options=PreventVerificationEmail"
	signUpAs := func(email string) int {
		body := `{"Email":[{"Type":"Primary","Value":"` + email + `"}],"Password":"` + testPass + `"}`
		return handleJSON(e.gw, "POST", path, body).Code
	}
	if code := signUpAs(testEmail); code != 200 {
		t.Fatalf("first sign-up: %d", code)
	}
	n := 0
	c := comparison{what: "taken vs new address",
		a: timingCase{func() int { return signUpAs(testEmail) }, 403},
		b: timingCase{func() int { n++; return signUpAs("new" + strconv.Itoa(n) + "@example.com") }, 200}}
	// CPU time only: the new account's commit waits for the disk (tens of
	// ms of wall-clock time on a loaded machine) where the refused one
	// rolls back; the answer's code says "taken" anyway. What must not
	// differ is the work, so that probing addresses costs a hash each.
	cpu := func(x timed) time.Duration { return x.cpu }
	c.round(t, 5)
	var pairs []timedPair
	for range timingRounds {
		if pairs = append(pairs, c.round(t, timingTries/2)...); within(pairedRatio(pairs, cpu)) {
			break
		}
	}
	ca, cb, _, _ := sideMedians(pairs)
	t.Logf("taken vs new address: %d pairs; median paired CPU ratio %.3f; medians %v vs %v", len(pairs), pairedRatio(pairs, cpu), ca, cb)
	if r := pairedRatio(pairs, cpu); !within(r) {
		t.Errorf("taken vs new address: CPU time differs by a median paired factor of %.3f over %d pairs (medians %v vs %v)", r, len(pairs), ca, cb)
	}
}
