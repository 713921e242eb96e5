package tests

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// hookReceiver is a webhook endpoint on loopback: it records every request
// and answers as its plan says, so a test can make deliveries fail on
// command (HTTP 500, no answer, a closed connection).
type hookReceiver struct {
	t   *testing.T
	srv *httptest.Server

	mu      sync.Mutex
	got     []delivery
	plan    func(n int) hookReply // n counts requests from 1
	release chan struct{}         // closed to free held requests
	arrived chan struct{}         // one value per request, never blocking
	// slow is how long a successful answer takes (a busy receiver);
	// inFlight and maxInFlight count requests being answered.
	slow                  time.Duration
	inFlight, maxInFlight int
}

// delivery is one request as the receiver saw it.
type delivery struct {
	at     time.Time
	header http.Header
	body   []byte
	reply  hookReply
}

// hookReply is what the receiver does with one request.
type hookReply int

const (
	hookOK    hookReply = iota
	hook500             // answer 500
	hookHold            // answer nothing until released or the sender gives up
	hookClose           // close the connection without an answer
)

func newHookReceiver(t *testing.T) *hookReceiver {
	t.Helper()
	rc := &hookReceiver{t: t, plan: func(int) hookReply { return hookOK },
		release: make(chan struct{}), arrived: make(chan struct{}, 1000)}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(func() {
		rc.free()
		rc.srv.CloseClientConnections()
		rc.srv.Close()
	})
	return rc
}

func (rc *hookReceiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	reply := rc.plan(len(rc.got) + 1)
	rc.got = append(rc.got, delivery{at: time.Now(), header: r.Header.Clone(), body: body, reply: reply})
	rc.inFlight++
	rc.maxInFlight = max(rc.maxInFlight, rc.inFlight)
	slow := rc.slow
	rc.mu.Unlock()
	defer func() {
		rc.mu.Lock()
		rc.inFlight--
		rc.mu.Unlock()
	}()
	select {
	case rc.arrived <- struct{}{}:
	default:
	}
	switch reply {
	case hookOK:
		if slow > 0 {
			// Processing time of a busy receiver, not synchronisation.
			time.Sleep(slow)
		}
		w.WriteHeader(http.StatusOK)
	case hook500:
		http.Error(w, "receiver failure", http.StatusInternalServerError)
	case hookHold:
		select {
		case <-rc.release:
		case <-r.Context().Done():
		}
	case hookClose:
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
	}
}

// url is where the gateway posts.
func (rc *hookReceiver) url() string { return rc.srv.URL + "/pinauth/hooks" }

// peak returns the most requests the receiver was answering at once.
func (rc *hookReceiver) peak() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.maxInFlight
}

// setPlan replaces how the receiver answers.
func (rc *hookReceiver) setPlan(plan func(n int) hookReply) {
	rc.mu.Lock()
	rc.plan = plan
	rc.mu.Unlock()
}

// free releases held requests (once).
func (rc *hookReceiver) free() {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	select {
	case <-rc.release:
	default:
		close(rc.release)
	}
}

// all returns every request so far; ok those answered 200.
func (rc *hookReceiver) all() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivery(nil), rc.got...)
}

func (rc *hookReceiver) ok() []delivery {
	var out []delivery
	for _, d := range rc.all() {
		if d.reply == hookOK {
			out = append(out, d)
		}
	}
	return out
}

// waitOK polls until n requests were answered 200 and returns them all.
func (rc *hookReceiver) waitOK(n int, timeout time.Duration) []delivery {
	rc.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if got := rc.ok(); len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			rc.t.Fatalf("%d of %d deliveries arrived within %s", len(rc.ok()), n, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitArrived waits for the next request to arrive.
func (rc *hookReceiver) waitArrived(timeout time.Duration) {
	rc.t.Helper()
	select {
	case <-rc.arrived:
	case <-time.After(timeout):
		rc.t.Fatalf("no delivery arrived within %s", timeout)
	}
}

// hookName is the HookName of a delivery's JSON body.
func (d delivery) hookName(t *testing.T) string {
	t.Helper()
	var p struct{ HookName string }
	if err := json.Unmarshal(d.body, &p); err != nil {
		t.Fatalf("delivery body is not JSON: %v", err)
	}
	return p.HookName
}

// verifyStandardWebhook checks a delivery as a Standard Webhooks receiver
// does, written from the specification: the HMAC key is the base64 text
// after "whsec_"; the signed content is webhook-id "." webhook-timestamp
// "." body; webhook-signature is a space-separated list of
// "v1,<base64 HMAC-SHA256>", one of which must match (compared in
// constant time); the timestamp must be within five minutes of now.
func verifyStandardWebhook(secret string, h http.Header, body []byte) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	id, ts := h.Get("webhook-id"), h.Get("webhook-timestamp")
	if id == "" || ts == "" || h.Get("webhook-signature") == "" {
		return fmt.Errorf("missing Standard Webhooks headers")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook-timestamp %q is not an integer", ts)
	}
	if d := time.Since(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("webhook-timestamp is %s from now", d)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, s := range strings.Fields(h.Get("webhook-signature")) {
		if b64, ok := strings.CutPrefix(s, "v1,"); ok {
			if got, err := base64.StdEncoding.DecodeString(b64); err == nil && hmac.Equal(got, want) {
				return nil
			}
		}
	}
	return fmt.Errorf("no v1 signature matches")
}
