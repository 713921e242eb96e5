package pinauth

import (
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
)

// TestATokenResignedForAnotherSubjectOrAudienceIsRefusedEvenWithItsSessionCached
// is finding 4 of issue 15: whoever holds the signing key (a leaked
// operator signing_key, say) can sign a token naming any sub and aud. The
// session named by sid belongs to one account of one tenant; a token
// whose sub or aud names anyone else must be refused whether the session's
// state is cached (it was, after one request) or read from the store.
func TestATokenResignedForAnotherSubjectOrAudienceIsRefusedEvenWithItsSessionCached(t *testing.T) {
	t.Parallel()
	for _, warm := range []bool{false, true} {
		name := "session read from the store"
		if warm {
			name = "session state cached by an earlier request"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t)
			login := e.loggedIn(testEmail)
			bob := e.createAccount("bob@example.com", testPIN)
			carol := e.createAccountIn(otherKey, otherSecret, "carol@example.com")
			tok := login.str("access_token")
			claims, perr := e.gw.parseAccessToken(t.Context(), tok)
			if perr != nil {
				t.Fatal(perr)
			}
			if warm {
				if r := e.protected(tok); r.status != 200 {
					t.Fatalf("alice's own token: %d %s", r.status, r.raw)
				}
				e.gw.cache.Wait()
				if !e.gw.cache.SessionCached(claims.SID) {
					t.Fatal("the session state was not cached: the test would not cover the cached path")
				}
			}
			before := len(e.upstream.calls())
			for _, f := range []struct{ what, tenant, uid string }{
				{"another account's sub", "demo", bob},
				{"another tenant's aud and account", "other", carol},
				{"another tenant's aud with alice's uid", "other", claims.Subject},
			} {
				forged, _, err := e.gw.tokens.Issue(f.tenant, f.uid, claims.SID, e.clock.Now())
				if err != nil {
					t.Fatal(err)
				}
				r := e.protected(forged)
				if r.status != 401 || r.code() != int(lrerr.CodeAccessTokenInvalid) {
					t.Errorf("a token re-signed with %s and alice's live sid: %d %s, want 401/905", f.what, r.status, r.raw)
				}
				// The API path authenticates the same way.
				v := e.do("GET", "/identity/v2/auth/access_token/validate?apikey="+keyOf(f.tenant), nil, "Authorization", "Bearer "+forged)
				if v.status == 200 {
					t.Errorf("validate accepted a token re-signed with %s: %s", f.what, v.raw)
				}
			}
			if got := len(e.upstream.calls()) - before; got != 0 {
				t.Errorf("%d forged requests reached the upstream", got)
			}
			// The binding check does not spoil alice's own token.
			if r := e.protected(tok); r.status != 200 {
				t.Errorf("alice's own token after the forgeries: %d %s", r.status, r.raw)
			}
		})
	}
}

// keyOf is the API key of a test tenant.
func keyOf(tenant string) string {
	if tenant == "other" {
		return otherKey
	}
	return testKey
}

// createAccountIn creates an account in the tenant of apiKey and returns
// its uid.
func (e *testEnv) createAccountIn(apiKey, apiSecret, email string) string {
	e.t.Helper()
	r := e.do("POST", "/identity/v2/manage/account?apikey="+apiKey+"&apisecret="+apiSecret, map[string]any{
		"Email":    []map[string]string{{"Type": "Primary", "Value": email}},
		"Password": testPass,
	})
	if r.status != 200 || r.str("Uid") == "" {
		e.t.Fatalf("create account in %s: %d %s", apiKey, r.status, r.raw)
	}
	return r.str("Uid")
}
