package pinauth

import (
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/loginpage"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

const (
	sessionCookie = "__Host-pinauth"
	pinCookie     = "__Host-pinauth-pin"
	csrfCookie    = "__Host-pinauth-csrf"
)

func TestLoginPageFirstPasswordLoginSetsPINThenReachesUpstream(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withLoginPage())
	uid := e.createAccount(testEmail, "")
	b := newBrowser(t, e)

	setPIN := b.passwordLogin("?return=%2Fapp%2Fdata%3Fx%3D1", testEmail, testPass)
	if setPIN.status != 200 || !strings.Contains(setPIN.body, `action="/login/setpin"`) {
		t.Fatalf("password login without a PIN: want the set-PIN form, got %d %s", setPIN.status, setPIN.body)
	}
	if setPIN.hidden().Get("pinauthtoken") == "" || setPIN.hidden().Get("return") != "/app/data?x=1" {
		t.Fatalf("set-PIN form lacks the PINAuthToken or the return target: %v", setPIN.hidden())
	}
	if b.cookies[sessionCookie] != "" {
		t.Fatal("a session cookie was set before the PIN")
	}

	mismatch := b.submit(setPIN, "/login/setpin", "pin", "4821", "confirm", "4822")
	if mismatch.status != 400 || !strings.Contains(mismatch.alert(), "not the same") {
		t.Fatalf("mismatched PINs: %d %q", mismatch.status, mismatch.alert())
	}
	weak := b.submit(mismatch, "/login/setpin", "pin", "1234", "confirm", "1234")
	if weak.status != 403 || !strings.Contains(weak.alert(), "too easy") {
		t.Fatalf("weak PIN: %d %q", weak.status, weak.alert())
	}
	done := b.submit(weak, "/login/setpin", "pin", testPIN, "confirm", testPIN)
	if done.status != 303 || done.header.Get("Location") != "/app/data?x=1" {
		t.Fatalf("set PIN: want 303 to the return target, got %d %s %s", done.status, done.header.Get("Location"), done.body)
	}
	if b.cookies[sessionCookie] == "" || b.cookies[pinCookie] == "" {
		t.Fatalf("set PIN did not set both cookies: %v", done.setCook)
	}

	up := b.get("/app/data?x=1")
	if up.status != 200 || up.body != "upstream" {
		t.Fatalf("protected page with the session cookie: %d %s", up.status, up.body)
	}
	calls := e.upstream.calls()
	if got := calls[len(calls)-1].Get("X-Auth-Uid"); got != uid {
		t.Fatalf("upstream X-Auth-Uid = %q, want %s", got, uid)
	}

	// A new browser with only the PIN-device cookie gets the PIN pad,
	// which knows the PIN's length (set on this device).
	b2 := newBrowser(t, e)
	b2.cookies[pinCookie] = b.cookies[pinCookie]
	redirect := b2.get("/app/data")
	if redirect.status != 303 || redirect.header.Get("Location") != "/login?return=%2Fapp%2Fdata" {
		t.Fatalf("protected page without a session: want 303 to the login page, got %d %s", redirect.status, redirect.header.Get("Location"))
	}
	pad := b2.get(redirect.header.Get("Location"))
	if pad.status != 200 || !strings.Contains(pad.body, `id="pin-form"`) || strings.Contains(pad.body, `name="password"`) {
		t.Fatalf("want the PIN pad only, got %d %s", pad.status, pad.body)
	}
	if !strings.Contains(pad.body, `data-pin-length="4"`) || !strings.Contains(pad.body, testEmail) {
		t.Fatalf("PIN pad does not know the PIN length or the account: %s", pad.body)
	}
	in := b2.submit(pad, "/login/pin", "pin", testPIN)
	if in.status != 303 || in.header.Get("Location") != "/app/data" {
		t.Fatalf("PIN login: want 303 to /app/data, got %d %s %q", in.status, in.header.Get("Location"), in.alert())
	}
	if up := b2.get("/app/data"); up.status != 200 || up.body != "upstream" {
		t.Fatalf("protected page after PIN login: %d %s", up.status, up.body)
	}
}

func TestLoginPagePasswordLoginWithPINSkipsSetup(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withLoginPage())
	e.createAccount(testEmail, testPIN)
	b := newBrowser(t, e)

	wrong := b.passwordLogin("", testEmail, "wrong password")
	if wrong.status != 401 || !strings.Contains(wrong.alert(), "not right") || !strings.Contains(wrong.body, `value="`+testEmail+`"`) {
		t.Fatalf("wrong password: %d %q", wrong.status, wrong.alert())
	}
	in := b.submit(wrong, "/login", "identifier", testEmail, "password", testPass)
	if in.status != 303 || in.header.Get("Location") != "/" {
		t.Fatalf("password login: want 303 to /, got %d %s", in.status, in.header.Get("Location"))
	}
	if b.cookies[pinCookie] == "" {
		t.Fatal("a login of an account with a PIN set no PIN-device cookie")
	}
	// The device never saw the PIN: the pad cannot submit itself.
	b2 := newBrowser(t, e)
	b2.cookies[pinCookie] = b.cookies[pinCookie]
	if pad := b2.get("/login"); !strings.Contains(pad.body, `data-pin-length="0"`) {
		t.Fatalf("PIN pad claims a PIN length it cannot know: %s", pad.body)
	}
	// Signed in: the login page offers to continue or log out.
	if signed := b.get("/login"); !strings.Contains(signed.body, `action="/login/logout"`) || !strings.Contains(signed.body, testEmail) {
		t.Fatalf("signed-in login page: %s", signed.body)
	}
}

func TestLoginPageWrongPINFiveTimesShowsLock(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withLoginPage())
	e.createAccount(testEmail, testPIN)
	b := newBrowser(t, e)
	if r := b.passwordLogin("", testEmail, testPass); r.status != 303 {
		t.Fatalf("password login: %d", r.status)
	}
	delete(b.cookies, sessionCookie)

	pad := b.get("/login")
	for i := 1; i <= 4; i++ {
		pad = b.submit(pad, "/login/pin", "pin", "9735")
		want := "You have " + map[int]string{1: "4 more tries", 2: "3 more tries", 3: "2 more tries", 4: "1 more try"}[i]
		if pad.status != 401 || !strings.Contains(pad.alert(), "That PIN is not right") || !strings.Contains(pad.alert(), want) {
			t.Fatalf("wrong PIN %d: want 401 and %q, got %d %q", i, want, pad.status, pad.alert())
		}
		if !strings.Contains(pad.body, `id="pin-form"`) || !strings.Contains(pad.body, `aria-invalid="true"`) {
			t.Fatalf("wrong PIN %d: the pad was not shown again with the field marked", i)
		}
	}
	locked := b.submit(pad, "/login/pin", "pin", "9735")
	until := e.clock.Now().Add(15 * time.Minute).UTC().Format("15:04")
	if locked.status != 403 || !strings.Contains(locked.alert(), "locked for 15 minutes, until "+until+" UTC") {
		t.Fatalf("fifth wrong PIN: want 403 and the lock with its end, got %d %q", locked.status, locked.alert())
	}
	if c := locked.cookie(pinCookie); c == nil || c.MaxAge >= 0 {
		t.Fatal("the lock did not clear the PIN-device cookie")
	}
	if !strings.Contains(locked.body, `name="password"`) {
		t.Fatal("after the lock the page does not offer the password form")
	}
	// The right password during the lock still shows the lock.
	again := b.submit(locked, "/login", "identifier", testEmail, "password", testPass)
	if again.status != 403 || !strings.Contains(again.alert(), "locked for 15 minutes") {
		t.Fatalf("password during the lock: %d %q", again.status, again.alert())
	}
}

func TestLoginPageExpiredPINSessionAsksForPassword(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withLoginPage())
	e.createAccount(testEmail, testPIN)
	b := newBrowser(t, e)
	b.passwordLogin("", testEmail, testPass)
	delete(b.cookies, sessionCookie)
	pad := b.get("/login")

	e.clock.Advance(config.DefaultSessionTTL + time.Minute)
	r := b.submit(pad, "/login/pin", "pin", testPIN)
	if r.status != 403 || !strings.Contains(r.alert(), "has expired. Please log in with your password") {
		t.Fatalf("expired PIN session: %d %q", r.status, r.alert())
	}
	if b.cookies[pinCookie] != "" || !strings.Contains(r.body, `name="password"`) {
		t.Fatal("expired PIN session: cookie kept or no password form")
	}
}

func TestLoginPageSilentRefreshRenewsAnExpiredAccessToken(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withLoginPage())
	e.createAccount(testEmail, testPIN)
	b := newBrowser(t, e)
	b.passwordLogin("", testEmail, testPass)
	old := b.cookies[sessionCookie]

	e.clock.Advance(config.DefaultAccessTTL + time.Second)
	// Requests arriving together with the expired cookie share one
	// refresh: all reach the upstream with the same new session.
	const n = 4
	var wg sync.WaitGroup
	pages := make([]page, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newBrowser(t, e)
			c.cookies[sessionCookie] = old
			pages[i] = c.get("/app/data")
		}()
	}
	wg.Wait()
	var renewed string
	for i, p := range pages {
		c := p.cookie(sessionCookie)
		if p.status != 200 || c == nil || c.Value == "" || c.Value == old {
			t.Fatalf("request %d with an expired access token: %d, new cookie %v", i, p.status, c)
		}
		bs, ok := openSession(e.gw.page, c.Value)
		if !ok {
			t.Fatalf("request %d: the new cookie does not open", i)
		}
		if renewed != "" && bs.Refresh != renewed {
			t.Fatalf("concurrent refreshes rotated the token more than once")
		}
		renewed = bs.Refresh
	}
	b.cookies[sessionCookie] = pages[0].cookie(sessionCookie).Value
	if p := b.get("/app/data"); p.status != 200 || p.cookie(sessionCookie) != nil {
		t.Fatalf("renewed session: %d, set cookie again: %v", p.status, p.cookie(sessionCookie))
	}

	// After the grace period the spent refresh token is refused.
	e.clock.Advance(loginpage.RefreshGrace + time.Second)
	stale := newBrowser(t, e)
	stale.cookies[sessionCookie] = old
	p := stale.get("/app/data")
	if p.status != 303 || !strings.Contains(p.header.Get("Location"), "reason=expired") {
		t.Fatalf("spent refresh token: want a redirect to log in again, got %d %s", p.status, p.header.Get("Location"))
	}
	if c := p.cookie(sessionCookie); c == nil || c.MaxAge >= 0 {
		t.Fatal("a dead session cookie was not cleared")
	}
	// Replaying a spent refresh token means it leaked: the whole login
	// session is revoked, the renewed cookie included.
	if p := b.get("/app/data"); p.status != 303 {
		t.Fatalf("renewed session after its spent token was replayed: %d, want a redirect to log in", p.status)
	}
}

func TestLoginPageLogoutRevokesTheSession(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withLoginPage())
	e.createAccount(testEmail, testPIN)
	b := newBrowser(t, e)
	b.passwordLogin("", testEmail, testPass)
	session, device := b.cookies[sessionCookie], b.cookies[pinCookie]
	bs, ok := openSession(e.gw.page, session)
	if !ok {
		t.Fatal("session cookie does not open")
	}

	confirm := b.get("/login/logout")
	if confirm.status != 200 || !strings.Contains(confirm.body, `action="/login/logout"`) {
		t.Fatalf("logout page: %d %s", confirm.status, confirm.body)
	}
	if b.cookies[sessionCookie] == "" {
		t.Fatal("GET of the logout page logged out")
	}
	out := b.submit(confirm, "/login/logout")
	if out.status != 303 || out.header.Get("Location") != "/login?reason=loggedout" {
		t.Fatalf("logout: want 303 to the login page, got %d %s", out.status, out.header.Get("Location"))
	}
	if b.cookies[sessionCookie] != "" || b.cookies[pinCookie] != "" {
		t.Fatalf("logout left cookies: %v", b.cookies)
	}
	if p := b.get("/login?reason=loggedout"); !strings.Contains(p.body, `name="password"`) || !strings.Contains(p.body, "You have logged out") {
		t.Fatalf("after logout: %s", p.body)
	}

	// Replaying the old cookies gets nothing: the session, its access
	// token, refresh token and PIN session token are revoked.
	replay := newBrowser(t, e)
	replay.cookies[sessionCookie], replay.cookies[pinCookie] = session, device
	if p := replay.get("/app/data"); p.status != 303 {
		t.Fatalf("old session cookie after logout: %d", p.status)
	}
	if r := e.protected(bs.Access); r.status != 401 {
		t.Fatalf("old access token after logout: %d %s", r.status, r.raw)
	}
	pad := replay.get("/login")
	if r := replay.submit(pad, "/login/pin", "pin", testPIN); !strings.Contains(r.alert(), "no longer valid") {
		t.Fatalf("old PIN device after logout: %d %q", r.status, r.alert())
	}
	if _, err := e.gw.rotateRefreshToken(t.Context(), "demo", bs.Refresh); err == nil {
		t.Fatal("the refresh token survived the logout")
	}
}

func TestLoginPageLoginsFireWebhooksWhateverTheBrowserSends(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withLoginPage(), func(c *Config) {
		c.Webhooks = []webhook.Webhook{{URL: "http://127.0.0.1:9/hook", Secret: "whsec-0123456789abcdef-24b"}}
	})
	uid := e.createAccount(testEmail, testPIN)
	b := newBrowser(t, e)
	form := b.get("/login?prevent_webhook=true")
	r := b.do("POST", "/login?prevent_webhook=true", url.Values{
		"csrf": {form.hidden().Get("csrf")}, "identifier": {testEmail}, "password": {testPass},
	}, "X-PreventWebhook", "true")
	if r.status != 303 {
		t.Fatalf("login: %d %q", r.status, r.alert())
	}
	events, err := e.store.Events(t.Context(), store.EventFilter{UID: uid})
	if err != nil {
		t.Fatal(err)
	}
	logins := 0
	for _, ev := range events {
		if ev.Hook == webhook.Login {
			logins++
		}
	}
	if logins != 1 {
		t.Fatalf("login through the page recorded %d Login events, want 1", logins)
	}
}
