package pinauth

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/ratelimit"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// TestSetUsernameIsInTheNextRequestAndTakenNamesAreRefused: PUT
// /auth/username (issue 20) changes X-Auth-Username from the next request
// of a session whose profile was cached, and a name another account has,
// as a username or as an email, is refused with 1017 and changes nothing.
func TestSetUsernameIsInTheNextRequestAndTakenNamesAreRefused(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withWebhook)
	login := e.loggedIn(testEmail)
	uid, access := uidOf(login), login.str("access_token")
	username := func() string {
		t.Helper()
		if r := e.protected(access); r.status != 200 {
			t.Fatalf("protected request: %d %s", r.status, r.raw)
		}
		calls := e.upstream.calls()
		return calls[len(calls)-1].Get("X-Auth-Username")
	}
	before := username() // caches the profile
	set := func(name string) response {
		return e.do("PUT", api("auth/username"), map[string]any{"username": name}, withToken(access)...)
	}
	r := set("alice_w")
	wantOK(t, "set username", r)
	if r.body["IsPosted"] != true || len(r.body) != 1 {
		t.Fatalf("answer %s; want {IsPosted: true}", r.raw)
	}
	if got := username(); got != "alice_w" {
		t.Fatalf("X-Auth-Username after the change = %q (before %q); want alice_w", got, before)
	}
	if got := e.account(uid).Username; got != "alice_w" {
		t.Fatalf("stored username %q", got)
	}
	if !slices.Contains(e.hooks(uid), webhook.SetUsername) {
		t.Errorf("events %v lack SetUsername", e.hooks(uid))
	}
	// A security event: prevent_webhook silences only its UpdateProfile.
	sets, updates := e.countHook(uid, webhook.SetUsername), e.countHook(uid, webhook.UpdateProfile)
	wantOK(t, "set silently", e.do("PUT", api("auth/username")+"&prevent_webhook=true", map[string]any{"username": "alice_x"}, withToken(access)...))
	if e.countHook(uid, webhook.SetUsername) != sets+1 || e.countHook(uid, webhook.UpdateProfile) != updates {
		t.Errorf("with prevent_webhook: events %v", e.hooks(uid))
	}
	wantOK(t, "set back", set("alice_w"))
	bob := e.createAccount("bob@example.com", "")
	if r := e.do("PUT", manage("manage/account/"+bob), map[string]any{"UserName": "bobby"}); r.status != 200 {
		t.Fatalf("bob's username: %d %s", r.status, r.raw)
	}
	for _, taken := range []string{"bobby", "BOBBY", "bob@example.com", bob} {
		wantCode(t, "taken "+taken, set(taken), 403, 1017)
	}
	wantCode(t, "no username", e.do("PUT", api("auth/username"), map[string]any{}, withToken(access)...), 403, 1134)
	wantCode(t, "a space", set("al ice"), 403, 1134)
	wantCode(t, "no token", e.do("PUT", api("auth/username"), map[string]any{"username": "x1"}), 400, 1060)
	if got := username(); got != "alice_w" {
		t.Fatalf("X-Auth-Username after refused changes = %q", got)
	}
	e.do("GET", api("auth/access_token/invalidate"), nil, withToken(access)...)
	if r := set("zed"); r.status == 200 {
		t.Fatalf("an invalidated token set the username: %s", r.raw)
	}
}

// TestAvailabilityAnswersAcrossKindsAndIsRateLimited: GET /auth/email and
// GET /auth/username answer IsExist for a name any account of the tenant
// has, in any kind and case, never for another tenant's, and count
// against the per-client rate limit as the forgot flows do.
func TestAvailabilityAnswersAcrossKindsAndIsRateLimited(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, func(c *Config) { c.RateLimit = ratelimit.Policy{Requests: 7, Window: time.Minute} })
	uid := e.createAccount(testEmail, "")
	if r := e.do("PUT", manage("manage/account/"+uid), map[string]any{"UserName": "alice_w"}); r.status != 200 {
		t.Fatalf("username: %d %s", r.status, r.raw)
	}
	for _, c := range []struct {
		path string
		want bool
	}{
		{"auth/email&email=ALICE@example.com", true},
		{"auth/email&email=nobody@example.com", false},
		{"auth/email&email=not-an-address", false},
		{"auth/username&username=Alice_W", true},
		{"auth/username&username=" + testEmail, true},
		{"auth/username&username=someone", false},
	} {
		path, query, _ := strings.Cut(c.path, "&")
		r := e.do("GET", api(path)+"&"+query, nil)
		wantOK(t, c.path, r)
		if r.body["IsExist"] != c.want || len(r.body) != 1 {
			t.Errorf("%s: %s; want IsExist %v", c.path, r.raw, c.want)
		}
	}
	if r := e.do("GET", "/identity/v2/auth/email?apikey="+otherKey+"&email="+testEmail, nil); r.body["IsExist"] != false {
		t.Errorf("another tenant's email: %s", r.raw)
	}
	wantCode(t, "no email", e.do("GET", api("auth/email"), nil), 403, 908)
	wantCode(t, "no username", e.do("GET", api("auth/username"), nil), 403, 908)
	wantCode(t, "over the limit", e.do("GET", api("auth/username")+"&username=x", nil), 429, 429)
}

// TestOnPostgresAUsernameSetOnOneNodeReachesAnothersNextRequests: the
// change is announced and journaled, so the node that cached the token
// sends the new X-Auth-Username within a second.
func TestOnPostgresAUsernameSetOnOneNodeReachesAnothersNextRequests(t *testing.T) {
	t.Parallel()
	a, b := twoNodes(t)
	tok := a.loggedIn(testEmail).str("access_token")
	b.cache(tok)
	wantOK(t, "set username", a.do("PUT", api("auth/username"), map[string]any{"username": "alice_pg"}, withToken(tok)...))
	deadline := time.Now().Add(time.Second)
	for {
		if r := b.protected(tok); r.status != 200 {
			t.Fatalf("the other node: %d %s", r.status, r.raw)
		}
		calls := b.upstream.calls()
		if calls[len(calls)-1].Get("X-Auth-Username") == "alice_pg" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the other node still sent the old username a second after the change")
		}
	}
}
