package pinauth

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

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
