package pinauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
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

// receiver is a webhook endpoint for tests: it records every request and
// answers as its plan says, so a test can make deliveries fail on command.
type receiver struct {
	t   testing.TB
	srv *httptest.Server
	// release unblocks requests the plan holds (replyHang).
	release chan struct{}

	mu   sync.Mutex
	got  []hit
	plan func(n int) reply // n counts requests from 1
	// entered is signalled (non-blocking) when a request arrives.
	entered chan struct{}
}

// hit is one request as the receiver saw it.
type hit struct {
	at     time.Time
	header http.Header
	body   []byte
	reply  reply
}

// reply is what the receiver does with one request.
type reply int

const (
	replyOK    reply = iota
	reply500         // HTTP 500
	replyHang        // no answer until released or the client gives up
	replyClose       // close the connection without a reply
)

func newReceiver(t testing.TB) *receiver {
	t.Helper()
	rc := &receiver{t: t, release: make(chan struct{}), entered: make(chan struct{}, 100),
		plan: func(int) reply { return replyOK }}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(func() {
		rc.unblock()
		rc.srv.CloseClientConnections()
		rc.srv.Close()
	})
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	a := rc.plan(len(rc.got) + 1)
	rc.got = append(rc.got, hit{at: time.Now(), header: r.Header.Clone(), body: body, reply: a})
	rc.mu.Unlock()
	select {
	case rc.entered <- struct{}{}:
	default:
	}
	switch a {
	case replyOK:
		w.WriteHeader(http.StatusNoContent)
	case reply500:
		http.Error(w, "receiver failure", http.StatusInternalServerError)
	case replyHang:
		select {
		case <-rc.release:
		case <-r.Context().Done():
		}
	case replyClose:
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	}
}

// unblock releases held requests (once).
func (rc *receiver) unblock() {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	select {
	case <-rc.release:
	default:
		close(rc.release)
	}
}

// setPlan replaces how the receiver answers.
func (rc *receiver) setPlan(plan func(n int) reply) {
	rc.mu.Lock()
	rc.plan = plan
	rc.mu.Unlock()
}

// hits returns every request received so far.
func (rc *receiver) hits() []hit {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hit(nil), rc.got...)
}

// delivered returns the requests answered 2xx.
func (rc *receiver) delivered() []hit {
	var out []hit
	for _, h := range rc.hits() {
		if h.reply == replyOK {
			out = append(out, h)
		}
	}
	return out
}

// waitDelivered polls until n requests were answered 2xx and returns them.
func (rc *receiver) waitDelivered(n int) []hit {
	rc.t.Helper()
	var got []hit
	waitFor(rc.t, 10*time.Second, fmt.Sprintf("%d successful deliveries", n), func() bool {
		got = rc.delivered()
		return len(got) >= n
	})
	return got
}

// waitEntered waits until a request arrives.
func (rc *receiver) waitEntered() {
	rc.t.Helper()
	select {
	case <-rc.entered:
	case <-time.After(10 * time.Second):
		rc.t.Fatal("no request reached the receiver within 10s")
	}
}

// waitFor polls cond every few milliseconds until it holds, failing the
// test after timeout.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// verifyStandardWebhook checks a delivery the way a receiver following the
// Standard Webhooks specification does, written from the specification
// rather than from the sender's code: the key is the base64 text after
// "whsec_" (or the secret's bytes for a plain secret); the signed content
// is id "." timestamp "." body; webhook-signature lists space-separated
// "v1,<base64 HMAC-SHA256>" values, one of which must match in constant
// time; the timestamp must be within five minutes of now.
func verifyStandardWebhook(secret string, h http.Header, body []byte, now time.Time) error {
	key := []byte(secret)
	if rest, ok := strings.CutPrefix(secret, "whsec_"); ok {
		var err error
		if key, err = base64.StdEncoding.DecodeString(rest); err != nil {
			return err
		}
	}
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return fmt.Errorf("missing Standard Webhooks headers")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook-timestamp %q is not an integer", ts)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("webhook-timestamp is %s away from now", d)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, s := range strings.Fields(sigs) {
		v, b64, ok := strings.Cut(s, ",")
		if !ok || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return fmt.Errorf("no v1 signature matches")
}
