package notifytest

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// SMS is one message an SMSServer accepted.
type SMS struct {
	To, From, Body string
}

// SMSServer is an HTTP SMS provider on 127.0.0.1 shaped like Twilio's
// Messages API: it takes form POSTs of To, From and Body, requires HTTP
// basic auth with its Username and Password, and answers 201 with a JSON
// message resource.
type SMSServer struct {
	// URL is where to POST.
	URL string

	username, password string

	mu       sync.Mutex
	sms      []SMS
	rejected int
	fail     int // answer this status instead, when not 0
	changed  chan struct{}
}

// NewSMSServer starts a provider on a free loopback port; it stops with
// the test.
func NewSMSServer(t testing.TB, username, password string) *SMSServer {
	t.Helper()
	s := &SMSServer{username: username, password: password, changed: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL + "/2010-04-01/Accounts/" + username + "/Messages.json"
	return s
}

func (s *SMSServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	user, pass, ok := r.BasicAuth()
	if r.Method != http.MethodPost || !ok || user != s.username || pass != s.password ||
		r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || r.ParseForm() != nil {
		s.rejected++
		s.notify()
		http.Error(w, `{"code": 20003, "message": "Authenticate"}`, http.StatusUnauthorized)
		return
	}
	if s.fail != 0 {
		s.notify()
		http.Error(w, `{"code": 30000, "message": "failed"}`, s.fail)
		return
	}
	s.sms = append(s.sms, SMS{To: r.PostForm.Get("To"), From: r.PostForm.Get("From"), Body: r.PostForm.Get("Body")})
	s.notify()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write([]byte(`{"sid": "SM00000000000000000000000000000000", "status": "queued"}`))
}

// Fail makes the provider answer status to every valid request (0: accept
// again).
func (s *SMSServer) Fail(status int) {
	s.mu.Lock()
	s.fail = status
	s.mu.Unlock()
}

// Messages returns the messages accepted so far.
func (s *SMSServer) Messages() []SMS {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SMS(nil), s.sms...)
}

// Rejected returns how many requests failed authentication or shape.
func (s *SMSServer) Rejected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rejected
}

// WaitMessages waits until at least n messages were accepted and returns
// them all; it fails the test after timeout.
func (s *SMSServer) WaitMessages(t testing.TB, n int, timeout time.Duration) []SMS {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		got, changed := append([]SMS(nil), s.sms...), s.changed
		s.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("the SMS provider accepted %d message(s) within %v, want %d", len(got), timeout, n)
		}
	}
}

// notify wakes waiters; the caller holds s.mu.
func (s *SMSServer) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}
