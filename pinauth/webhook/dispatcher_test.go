package webhook

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/sqlite"
)

// delivery is one request as a test receiver saw it.
type delivery struct {
	header http.Header
	body   []byte
}

// The dispatcher on its own, over a real SQLite outbox and a loopback
// receiver: it claims the due event, posts it signed, records it
// delivered and then reports the result.
func TestADispatcherPostsAnOutboxEventSignedAndRecordsItDelivered(t *testing.T) {
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "pinauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	got := make(chan delivery, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- delivery{r.Header.Clone(), body}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	const secret = "a plain shared secret of 33 bytes"
	hooks, err := Validate([]Webhook{{URL: srv.URL + "/in", Secret: secret}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	payload := []byte(`{"HookName":"login"}`)
	if err := st.Update(t.Context(), func(tx store.Tx) error {
		return tx.AddEvent(store.Event{ID: "evt-1", Tenant: "demo", UID: "u1", Hook: Login, Endpoint: hooks[0].EndpointID(),
			Payload: payload, CreatedAt: now, State: store.EventPending, NextAttemptAt: now})
	}); err != nil {
		t.Fatal(err)
	}

	results := make(chan Result, 1)
	d, err := Start(st, hooks, Options{Delivered: func(r Result) { results <- r }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Stop)
	h := <-got
	if r := <-results; r != Delivered {
		t.Errorf("result = %s, want delivered", r)
	}
	ts, err := strconv.ParseInt(h.header.Get("webhook-timestamp"), 10, 64)
	if err != nil {
		t.Fatalf("webhook-timestamp %q: %v", h.header.Get("webhook-timestamp"), err)
	}
	if h.header.Get("webhook-id") != "evt-1" || string(h.body) != string(payload) ||
		h.header.Get("webhook-signature") != sign([]byte(secret), "evt-1", ts, payload) {
		t.Errorf("delivery headers %v body %s", h.header, h.body)
	}
	evs, err := st.Events(t.Context(), store.EventFilter{Tenant: "demo"})
	if err != nil || len(evs) != 1 || evs[0].State != store.EventDelivered {
		t.Errorf("outbox after the delivery: %+v, %v; want the event delivered", evs, err)
	}
}

func TestStartWithoutWebhooksStartsNothingAndStopIsSafe(t *testing.T) {
	d, err := Start(nil, nil, Options{})
	if d != nil || err != nil {
		t.Fatalf("Start without webhooks = %v, %v; want nil, nil", d, err)
	}
	d.Stop()
}
