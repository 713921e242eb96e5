package pinauth

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/sqlite"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

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
