package pinauth

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// hookKey is the signing key of hookSecret.
var hookKey = []byte("0123456789abcdef0123456789abcdef")

// hookSecret is a Standard Webhooks secret: whsec_ and 32 base64 bytes.
var hookSecret = "whsec_" + base64.StdEncoding.EncodeToString(hookKey)

// testRetry keeps retries quick: waits of 25–50ms, 50–100ms, 100–200ms.
var testRetry = webhook.RetryPolicy{Attempts: 5, Initial: 50 * time.Millisecond, Max: 200 * time.Millisecond}

// hookEnv is a gateway on the real clock whose webhook points at rc; it
// logs at debug level into logs.
type hookEnv struct {
	*testEnv
	rc   *receiver
	logs *observer.ObservedLogs
}

func newHookEnv(t *testing.T, rc *receiver, mutate ...func(*Config)) *hookEnv {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	e := newTestEnv(t, append([]func(*Config){func(c *Config) {
		c.Now = time.Now // retries wait on real timers
		c.Logger = zap.New(core)
		c.WebhookPollInterval = 20 * time.Millisecond
		c.Webhooks = []webhook.Webhook{{URL: rc.srv.URL + "/hooks", Secret: hookSecret, Timeout: 2 * time.Second, Retry: testRetry}}
	}}, mutate...)...)
	return &hookEnv{testEnv: e, rc: rc, logs: logs}
}

// outbox returns the stored events of the demo tenant.
func (e *hookEnv) outbox() []store.Event {
	e.t.Helper()
	evs, err := e.store.Events(e.t.Context(), store.EventFilter{Tenant: "demo"})
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

// waitSettled waits until no event of the outbox is pending: the receiver
// answers before the dispatcher records the outcome.
func (e *hookEnv) waitSettled() {
	e.t.Helper()
	waitFor(e.t, 10*time.Second, "every event delivered or dead", func() bool {
		for _, ev := range e.outbox() {
			if ev.State == store.EventPending {
				return false
			}
		}
		return true
	})
}

// payload decodes a delivery body.
func payload(t *testing.T, h hit) map[string]any {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(h.body, &p); err != nil {
		t.Fatalf("delivery body is not JSON: %v", err)
	}
	return p
}

// assertNoSecretsLogged fails when a log entry holds the webhook secret,
// its key or a delivered body.
func (e *hookEnv) assertNoSecretsLogged(t *testing.T, bodies ...[]byte) {
	t.Helper()
	leaks := append([][]byte{[]byte(hookSecret), hookKey, []byte(strings.TrimPrefix(hookSecret, "whsec_"))}, bodies...)
	for _, entry := range e.logs.All() {
		line := entry.Message + " " + fmt.Sprint(entry.ContextMap())
		for _, leak := range leaks {
			if strings.Contains(line, string(leak)) {
				t.Errorf("log entry %q leaks a secret or a payload", entry.Message)
			}
		}
	}
}

func TestPINLoginDeliversOneSignedLoginWebhook(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	e := newHookEnv(t, rc)
	uid := e.createAccount(testEmail, testPIN)
	st := e.passwordLogin(testEmail, testPass).str("session_token")
	// Register and the password login come first: wait for them, then
	// look only at what the PIN login adds.
	before := len(rc.waitDelivered(2))
	if r := e.pinLogin(st, testPIN); r.status != 200 {
		t.Fatalf("PIN login: %d %s", r.status, r.raw)
	}
	got := rc.waitDelivered(before + 1)[before:]
	if len(got) != 1 {
		t.Fatalf("the PIN login caused %d deliveries, want 1", len(got))
	}
	h := got[0]
	if err := verifyStandardWebhook(hookSecret, h.header, h.body, time.Now()); err != nil {
		t.Fatalf("the delivery does not verify: %v", err)
	}
	if err := verifyStandardWebhook("whsec_"+base64.StdEncoding.EncodeToString([]byte("another key of thirty-two bytes!")), h.header, h.body, time.Now()); err == nil {
		t.Fatal("the delivery verifies under another key too")
	}
	p := payload(t, h)
	if p["HookName"] != "login" || p["Tenant"] != "demo" || p["HookId"] != h.header.Get("webhook-id") {
		t.Errorf("payload HookName %v Tenant %v HookId %v (webhook-id %s)", p["HookName"], p["Tenant"], p["HookId"], h.header.Get("webhook-id"))
	}
	if ts, _ := p["Time"].(string); ts == "" {
		t.Errorf("payload Time = %v, want the event time", p["Time"])
	} else if at, err := time.Parse(lrprofile.TimeLayout, ts); err != nil || time.Since(at) > time.Minute {
		t.Errorf("payload Time %q is not the time of the login (%v)", ts, err)
	}
	data, _ := p["Data"].(map[string]any)
	if data["Uid"] != uid {
		t.Errorf("payload Data.Uid = %v, want %s", data["Uid"], uid)
	}
	if ct := h.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	for _, secret := range []string{testPIN, testPass, "argon2id", hookSecret, st, testPepper} {
		if strings.Contains(string(h.body), secret) {
			t.Errorf("the delivered body contains a secret (%.8s…)", secret)
		}
	}
	var ids []string
	for _, d := range rc.delivered() {
		ids = append(ids, d.header.Get("webhook-id"))
	}
	e.waitSettled()
	for _, ev := range e.outbox() {
		if ev.State != store.EventDelivered || ev.Attempts != 1 || !slices.Contains(ids, ev.ID) {
			t.Errorf("outbox event %s (%s): State %s Attempts %d; want delivered once", ev.ID, ev.Hook, ev.State, ev.Attempts)
		}
	}
	e.assertNoSecretsLogged(t, h.body)
}

func TestPreventWebhookWritesNoEvent(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		query  string
		header []string
	}{
		{"query prevent_webhook=true", "&prevent_webhook=true", nil},
		{"header X-PreventWebhook: true", "", []string{"X-PreventWebhook", "true"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(t)
			e := newHookEnv(t, rc)
			e.createAccount(testEmail, testPIN)
			st := e.passwordLogin(testEmail, testPass).str("session_token")
			rc.waitDelivered(2)
			r := e.do("POST", "/identity/v2/auth/login/pin?apikey="+testKey+"&session_token="+st+c.query,
				map[string]string{"pin": testPIN}, c.header...)
			if r.status != 200 {
				t.Fatalf("PIN login: %d %s", r.status, r.raw)
			}
			// The outbox is written in the request's transaction: nothing
			// there now means nothing will ever be sent.
			if evs := e.outbox(); len(evs) != 2 {
				t.Fatalf("outbox after a prevented login holds %d events, want the 2 before it", len(evs))
			}
			// And a later event of the same account arrives alone.
			if r := e.pinLogin(st, testPIN); r.status != 200 {
				t.Fatalf("second PIN login: %d %s", r.status, r.raw)
			}
			if got := rc.waitDelivered(3); len(got) != 3 || len(rc.hits()) != 3 {
				t.Errorf("receiver got %d requests, want 3 (register, password login, the unprevented PIN login)", len(rc.hits()))
			}
		})
	}
}

func TestWebhookDeliveryNeverBlocksTheRequest(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	rc.setPlan(func(int) reply { return replyHang })
	e := newHookEnv(t, rc, func(c *Config) { c.Webhooks[0].Timeout = time.Minute })
	e.createAccount(testEmail, testPIN)
	rc.waitEntered() // the dispatcher is now stuck on the register event
	for range 3 {
		if r := e.passwordLogin(testEmail, testPass); r.status != 200 {
			t.Fatalf("password login while the receiver hangs: %d %s", r.status, r.raw)
		}
	}
	if n := len(rc.hits()); n != 1 {
		t.Errorf("receiver got %d requests, want only the hanging one (the logins wait behind it)", n)
	}
	if evs := e.outbox(); len(evs) != 4 {
		t.Errorf("outbox holds %d events, want 4", len(evs))
	}
	rc.unblock()
}

func TestTenantWebhooksReceiveOnlyTheirTenantsSubscribedEvents(t *testing.T) {
	t.Parallel()
	all, demoOnly, registerOnly := newReceiver(t), newReceiver(t), newReceiver(t)
	e := newHookEnv(t, all, func(c *Config) {
		c.Webhooks = []webhook.Webhook{
			{URL: all.srv.URL, Secret: hookSecret, Retry: testRetry},
			{URL: demoOnly.srv.URL, Secret: "a plain secret for the demo tenant only", Tenant: "demo", Retry: testRetry},
			{URL: registerOnly.srv.URL, Secret: hookSecret, Events: []string{"register"}, Retry: testRetry},
		}
	})
	e.createAccount(testEmail, testPIN)
	if r := e.passwordLogin(testEmail, testPass); r.status != 200 {
		t.Fatalf("login: %d %s", r.status, r.raw)
	}
	r := e.do("POST", "/identity/v2/manage/account?apikey="+otherKey+"&apisecret="+otherSecret, map[string]any{
		"Email": []map[string]string{{"Type": "Primary", "Value": "bob@example.com"}}, "Password": testPass})
	if r.status != 200 {
		t.Fatalf("create the other tenant's account: %d %s", r.status, r.raw)
	}
	names := func(hs []hit) []string {
		var out []string
		for _, h := range hs {
			p := payload(t, h)
			out = append(out, p["Tenant"].(string)+":"+p["HookName"].(string))
		}
		slices.Sort(out)
		return out
	}
	if got, want := names(all.waitDelivered(3)), []string{"demo:login", "demo:register", "other:register"}; !slices.Equal(got, want) {
		t.Errorf("handler-level webhook got %v, want %v", got, want)
	}
	if got, want := names(registerOnly.waitDelivered(2)), []string{"demo:register", "other:register"}; !slices.Equal(got, want) {
		t.Errorf("register-only webhook got %v, want %v", got, want)
	}
	got := demoOnly.waitDelivered(2)
	if names := names(got); !slices.Equal(names, []string{"demo:login", "demo:register"}) {
		t.Errorf("demo tenant webhook got %v, want only demo's events", names)
	}
	if err := verifyStandardWebhook("a plain secret for the demo tenant only", got[0].header, got[0].body, time.Now()); err != nil {
		t.Errorf("a delivery signed with a plain secret does not verify with its bytes as the key: %v", err)
	}
	// Everything was recorded: the receivers above saw exactly these.
	waitFor(t, 5*time.Second, "every event recorded delivered", func() bool {
		evs, _ := e.store.Events(t.Context(), store.EventFilter{State: store.EventDelivered})
		return len(evs) == 7
	})
	if n := len(all.hits()) + len(demoOnly.hits()) + len(registerOnly.hits()); n != 7 {
		t.Errorf("receivers got %d requests, want 7", n)
	}
}
