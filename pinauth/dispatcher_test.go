package pinauth

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/sqlite"
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

func TestFailedDeliveriesAreRetriedWithBackoffAndTheSameID(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	rc.setPlan(func(n int) reply {
		return []reply{reply500, replyHang, replyClose, replyOK}[min(n, 4)-1]
	})
	e := newHookEnv(t, rc, func(c *Config) {
		// A timeout long enough that every attempt reaches the receiver
		// even on a loaded machine.
		c.Webhooks[0].Timeout = time.Second
		c.Webhooks[0].Retry = webhook.RetryPolicy{Attempts: 5, Initial: 200 * time.Millisecond, Max: time.Second}
		c.Webhooks[0].Events = []string{webhook.Register}
	})
	e.createAccount(testEmail, testPIN)
	rc.waitDelivered(1)
	hits := rc.hits()
	if len(hits) != 4 {
		t.Fatalf("receiver got %d requests, want 4 (500, timeout, closed connection, success)", len(hits))
	}
	id := hits[0].header.Get("webhook-id")
	for i, h := range hits {
		if got := h.header.Get("webhook-id"); got != id {
			t.Errorf("attempt %d has webhook-id %s, want %s", i+1, got, id)
		}
		if err := verifyStandardWebhook(hookSecret, h.header, h.body, time.Now()); err != nil {
			t.Errorf("attempt %d does not verify: %v", i+1, err)
		}
		if string(h.body) != string(hits[0].body) {
			t.Errorf("attempt %d sent another body", i+1)
		}
	}
	// Each wait is at least half the doubled delay (equal jitter: 100ms,
	// 200ms, 400ms); the unanswered attempt adds its 1s timeout before
	// its wait starts. 150ms of slack there: the timeout starts before
	// the request reaches the receiver, later still on a loaded machine.
	minGap := []time.Duration{100 * time.Millisecond, time.Second + 200*time.Millisecond - 150*time.Millisecond, 400 * time.Millisecond}
	for i := 1; i < len(hits); i++ {
		if gap := hits[i].at.Sub(hits[i-1].at); gap < minGap[i-1] {
			t.Errorf("attempt %d came %s after attempt %d, want at least %s", i+1, gap, i, minGap[i-1])
		}
	}
	e.waitSettled()
	ev := e.outbox()[0]
	if ev.State != store.EventDelivered || ev.Attempts != 4 || ev.ID != id {
		t.Errorf("event = %s after %d attempts (id %s), want delivered after 4 (id %s)", ev.State, ev.Attempts, ev.ID, id)
	}
	var failures []string
	for _, entry := range e.logs.FilterMessage("webhook delivery failed").All() {
		failures = append(failures, entry.ContextMap()["error"].(string))
	}
	if len(failures) != 3 || failures[0] != "receiver answered 500" || !strings.Contains(failures[1], "no response within 1s") ||
		!strings.Contains(failures[2], "request failed") {
		t.Errorf("logged failures = %q, want the 500, the timeout and the closed connection", failures)
	}
	for _, f := range failures {
		if strings.Contains(f, rc.srv.URL) {
			t.Errorf("a logged error names the URL: %s", f)
		}
	}
	e.assertNoSecretsLogged(t, hits[0].body)
}

func TestAnEventDiesAfterItsLastAttemptAndReplayDeliversItWithTheSameID(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	rc.setPlan(func(int) reply { return reply500 })
	e := newHookEnv(t, rc, func(c *Config) {
		c.Webhooks[0].Retry.Attempts = 3
		c.Webhooks[0].Events = []string{webhook.Register}
	})
	e.createAccount(testEmail, testPIN)
	// The dispatcher logs the death after the store has recorded it (it
	// only knows the record held once FailEvent returns), so the test
	// waits for both rather than reading the log as soon as the state
	// changes.
	var ev store.Event
	waitFor(t, 10*time.Second, "the event to die and its death to be logged", func() bool {
		ev = e.outbox()[0]
		return ev.State == store.EventDead && e.logs.FilterMessage("webhook event dead").Len() > 0
	})
	if ev.Attempts != 3 || ev.LastError != "receiver answered 500" || ev.FinishedAt.IsZero() || len(rc.hits()) != 3 {
		t.Errorf("dead event: Attempts %d LastError %q FinishedAt %v, receiver hits %d; want 3 attempts", ev.Attempts, ev.LastError, ev.FinishedAt, len(rc.hits()))
	}
	dead := e.logs.FilterMessage("webhook event dead").All()
	if len(dead) != 1 || dead[0].Level != zapcore.WarnLevel || dead[0].ContextMap()["event_id"] != ev.ID {
		t.Errorf("dead log entries = %+v, want one warning naming %s", dead, ev.ID)
	}

	rc.setPlan(func(int) reply { return replyOK })
	found, err := e.store.ReplayEvent(t.Context(), ev.ID, time.Now())
	if err != nil || !found {
		t.Fatalf("ReplayEvent = %v, %v", found, err)
	}
	got := rc.waitDelivered(1)
	if id := got[0].header.Get("webhook-id"); id != ev.ID {
		t.Errorf("replayed delivery has webhook-id %s, want %s", id, ev.ID)
	}
	waitFor(t, 5*time.Second, "the replayed event to be recorded delivered", func() bool {
		return e.outbox()[0].State == store.EventDelivered
	})
}

func TestEventsOfOneAccountArriveInOrderWhileTheFirstIsRetried(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	rc.setPlan(func(n int) reply {
		if n <= 3 {
			return reply500
		}
		return replyOK
	})
	e := newHookEnv(t, rc)
	e.createAccount(testEmail, testPIN)
	st := e.passwordLogin(testEmail, testPass).str("session_token")
	for range 3 {
		if r := e.pinLogin(st, testPIN); r.status != 200 {
			t.Fatalf("PIN login: %d %s", r.status, r.raw)
		}
	}
	got := rc.waitDelivered(5)
	var hooks []string
	for _, h := range got {
		hooks = append(hooks, payload(t, h)["HookName"].(string))
	}
	if want := []string{"register", "login", "login", "login", "login"}; !slices.Equal(hooks, want) {
		t.Errorf("delivered in the order %v, want %v", hooks, want)
	}
	var wantIDs, gotIDs []string
	for _, ev := range e.outbox() {
		wantIDs = append(wantIDs, ev.ID)
	}
	for _, h := range got {
		gotIDs = append(gotIDs, h.header.Get("webhook-id"))
	}
	if !slices.Equal(gotIDs, wantIDs) {
		t.Errorf("delivered ids %v, want the outbox order %v", gotIDs, wantIDs)
	}
	// The first three requests were all the register event.
	for _, h := range rc.hits()[:3] {
		if h.header.Get("webhook-id") != wantIDs[0] {
			t.Errorf("a later event was sent while the first was still failing")
		}
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

func TestRedirectsAreFollowedOnlyToTheSameHostAndKeepThePOST(t *testing.T) {
	t.Parallel()
	other := newReceiver(t)
	rc := newReceiver(t)
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/final", http.StatusPermanentRedirect)
		case "/final":
			rc.serve(w, r)
		case "/see-other":
			http.Redirect(w, r, "/final", http.StatusSeeOther)
		default:
			http.Redirect(w, r, other.srv.URL+"/stolen", http.StatusTemporaryRedirect)
		}
	}))
	t.Cleanup(redirect.Close)
	e := newHookEnv(t, rc, func(c *Config) {
		retry := webhook.RetryPolicy{Attempts: 1}
		c.Webhooks = []webhook.Webhook{
			{URL: redirect.URL + "/same", Secret: hookSecret, Retry: retry, Events: []string{webhook.Register}},
			{URL: redirect.URL + "/see-other", Secret: hookSecret, Retry: retry, Events: []string{webhook.Register}},
			{URL: redirect.URL + "/elsewhere", Secret: hookSecret, Retry: retry, Events: []string{webhook.Register}},
		}
	})
	e.createAccount(testEmail, testPIN)
	waitFor(t, 10*time.Second, "all three events to finish", func() bool {
		for _, ev := range e.outbox() {
			if ev.State == store.EventPending {
				return false
			}
		}
		return true
	})
	states := map[string]store.EventState{}
	errs := map[string]string{}
	for _, ev := range e.outbox() {
		for _, w := range e.gw.cfg.Webhooks {
			if w.EndpointID() == ev.Endpoint {
				path := w.URL[strings.LastIndex(w.URL, "/"):]
				states[path], errs[path] = ev.State, ev.LastError
			}
		}
	}
	if states["/same"] != store.EventDelivered {
		t.Errorf("a 308 to the same host: %s (%s), want delivered", states["/same"], errs["/same"])
	}
	if states["/see-other"] != store.EventDead || errs["/see-other"] != "receiver answered 303" {
		t.Errorf("a 303 (which would turn the POST into a GET): %s %q, want dead after answering 303", states["/see-other"], errs["/see-other"])
	}
	if states["/elsewhere"] != store.EventDead || errs["/elsewhere"] != "receiver answered 307" {
		t.Errorf("a 307 to another host: %s %q, want dead after answering 307", states["/elsewhere"], errs["/elsewhere"])
	}
	if n := len(other.hits()); n != 0 {
		t.Errorf("the other host received %d signed deliveries", n)
	}
	if got := rc.delivered(); len(got) != 1 || verifyStandardWebhook(hookSecret, got[0].header, got[0].body, time.Now()) != nil {
		t.Errorf("the same-host redirect delivered %d verified requests, want 1", len(got))
	}
}

func TestAnEndlessResponseBodyIsNotReadToItsEnd(t *testing.T) {
	t.Parallel()
	endless := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		chunk := []byte(strings.Repeat("x", 32<<10))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	t.Cleanup(func() { endless.CloseClientConnections(); endless.Close() })
	rc := newReceiver(t)
	e := newHookEnv(t, rc, func(c *Config) {
		c.Webhooks = []webhook.Webhook{{URL: endless.URL, Secret: hookSecret, Timeout: time.Minute, Events: []string{webhook.Register}}}
	})
	e.createAccount(testEmail, testPIN)
	// Reading the body to its end would hold the delivery for the whole
	// one-minute timeout.
	waitFor(t, 10*time.Second, "the delivery to be recorded", func() bool {
		return e.outbox()[0].State == store.EventDelivered
	})
}

func TestCloseHandsAnInterruptedDeliveryBack(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	rc.setPlan(func(int) reply { return replyHang })
	e := newHookEnv(t, rc, func(c *Config) {
		c.Webhooks[0].Timeout = time.Minute
		c.Webhooks[0].Events = []string{webhook.Register}
	})
	e.createAccount(testEmail, testPIN)
	rc.waitEntered()
	if ev := e.outbox()[0]; ev.ClaimedBy == "" {
		t.Fatalf("the event in flight is not leased: %+v", ev)
	}
	closed := make(chan struct{})
	go func() { e.gw.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close waited for the hanging receiver")
	}
	ev := e.outbox()[0]
	if ev.State != store.EventPending || ev.ClaimedBy != "" || ev.Attempts != 1 || ev.NextAttemptAt.After(time.Now()) {
		t.Errorf("after Close: %+v; want pending, unleased and due at once", ev)
	}

	// The next gateway (a restart) delivers it without waiting for a lease.
	rc.setPlan(func(int) reply { return replyOK })
	newTestEnvOn(t, e.store, func(c *Config) {
		c.Now = time.Now
		c.WebhookPollInterval = 20 * time.Millisecond
		c.Webhooks = []webhook.Webhook{{URL: rc.srv.URL + "/hooks", Secret: hookSecret, Timeout: time.Minute, Retry: testRetry}}
	})
	got := rc.waitDelivered(1)
	if got[0].header.Get("webhook-id") != ev.ID {
		t.Errorf("redelivered id %s, want %s", got[0].header.Get("webhook-id"), ev.ID)
	}
}

func TestAnEventLeasedByADeadNodeIsDeliveredWhenTheLeaseEnds(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "pinauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	hook := webhook.Webhook{URL: rc.srv.URL + "/hooks", Secret: hookSecret, Retry: testRetry}
	ep := hook.EndpointID()
	err = st.Update(t.Context(), func(tx store.Tx) error {
		return tx.AddEvent(store.Event{ID: "evt-of-a-dead-node", Tenant: "demo", UID: "u1", Hook: webhook.Login,
			Endpoint: ep, Payload: []byte(`{"HookName":"login"}`), CreatedAt: time.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	// Another node claimed it and died: nobody completes or fails it.
	claimed, err := st.ClaimEvents(t.Context(), store.EventClaim{
		Owner: "dead-node", Endpoints: []string{ep}, Now: time.Now(), Lease: 300 * time.Millisecond, Limit: 1})
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim as the dead node: %v, %v", claimed, err)
	}
	e := newTestEnvOn(t, st, func(c *Config) {
		c.Now = time.Now
		c.WebhookPollInterval = 20 * time.Millisecond
		c.Webhooks = []webhook.Webhook{hook}
	})
	got := rc.waitDelivered(1)
	if got[0].at.Before(claimed[0].ClaimedUntil) {
		t.Errorf("delivered at %s, before the dead node's lease ended at %s", got[0].at, claimed[0].ClaimedUntil)
	}
	var ev store.Event
	waitFor(t, 5*time.Second, "the event to be recorded delivered", func() bool {
		evs, err := e.store.Events(t.Context(), store.EventFilter{})
		if err != nil || len(evs) != 1 {
			t.Fatalf("Events = %v, %v", evs, err)
		}
		ev = evs[0]
		return ev.State == store.EventDelivered
	})
	if ev.Attempts != 2 {
		t.Errorf("Attempts = %d, want 2 (the dead node's and ours)", ev.Attempts)
	}
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

func TestDeliveredEventsArePrunedAfterTheRetention(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	rc.setPlan(func(n int) reply {
		if n == 1 {
			return replyOK
		}
		return reply500
	})
	e := newHookEnv(t, rc, func(c *Config) {
		c.WebhookRetention = time.Nanosecond
		c.Webhooks[0].Retry.Attempts = 1
	})
	e.createAccount(testEmail, testPIN)  // register: delivered
	e.passwordLogin(testEmail, testPass) // login: dies
	waitFor(t, 10*time.Second, "both events to finish", func() bool {
		evs := e.outbox()
		return len(evs) == 2 && evs[0].State == store.EventDelivered && evs[1].State == store.EventDead
	})
	e.gw.webhooks.Prune(t.Context())
	evs := e.outbox()
	if len(evs) != 1 || evs[0].State != store.EventDead {
		t.Errorf("after pruning: %+v; want only the dead event", evs)
	}
}
