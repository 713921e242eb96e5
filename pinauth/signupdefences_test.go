package pinauth

import (
	"strconv"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/ratelimit"
	"github.com/pinauth/caddy-pinauth/pinauth/recovery"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// TestVerificationTokenIsStoredAsItsHashWithItsLifetime: the mailed
// verification token is not in the store, its SHA-256 is, bound to the
// new account and valid recovery.DefaultVerificationTokenTTL.
func TestVerificationTokenIsStoredAsItsHashWithItsLifetime(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, withRegistration())
	wantOK(t, "register", e.register(signUp(testEmail, ""), ""))
	_, em := e.nthEmail(1)
	token := tokenFrom(t, em)
	if _, found, _ := e.store.Token(t.Context(), store.TokenEmailVerify, token); found {
		t.Fatal("the verification token is stored in clear")
	}
	stored, found, err := e.store.Token(t.Context(), store.TokenEmailVerify, secret.TokenHash(token))
	uid := e.accountOf(testEmail).UID
	if err != nil || !found || stored.UID != uid || !stored.ExpiresAt.Equal(stored.CreatedAt.Add(recovery.DefaultVerificationTokenTTL)) {
		t.Fatalf("stored verification token = %+v, %v, %v; want its hash, bound to %s, valid %v", stored, found, err, uid, recovery.DefaultVerificationTokenTTL)
	}
}

// TestSignUpCountsAgainstTheClientRateLimit: every sign-up, accepted or
// refused, spends the client's budget; past it the answer is 429 with
// Retry-After and nothing is written.
func TestSignUpCountsAgainstTheClientRateLimit(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, withRegistration(), func(c *Config) {
		c.RateLimit = ratelimit.Policy{Requests: 3, Window: time.Hour}
	})
	wantOK(t, "a sign-up", e.register(signUp("a@example.com", ""), ""))
	wantCode(t, "a taken address", e.register(signUp("a@example.com", ""), ""), 403, int(lrerr.CodeEmailTaken))
	wantCode(t, "no password", e.register(map[string]any{"Email": []map[string]string{{"Value": "b@example.com"}}}, ""), 403, int(lrerr.CodeValidation))
	for i := range 2 {
		r := e.register(signUp("c"+strconv.Itoa(i)+"@example.com", ""), "")
		wantCode(t, "past the limit", r, 429, int(lrerr.CodeTooManyRequests))
		if r.header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
	}
	if n, err := e.store.CountAccounts(t.Context(), "demo"); err != nil || n != 1 {
		t.Fatalf("accounts: %d, %v; want only the first sign-up's", n, err)
	}
}
