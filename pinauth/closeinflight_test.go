package pinauth

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Caddy cleans up an old config, closing its gateway, while the old
// servers still finish their last requests (caddyhttp's Stop starts the
// servers' graceful shutdowns and returns). Requests in flight during
// Close, and any that reach the gateway after it, must be answered as
// before: no panic, no data race on the closed caches (the race detector
// caught a login's cache invalidation racing ristretto's Close in the
// reload e2e test), the same status.
func TestRequestsInFlightDuringCloseAreAnsweredAsBefore(t *testing.T) {
	e := newTestEnv(t)
	token := e.loggedIn("alice@example.com").str("access_token")

	protected := func() int {
		req := httptest.NewRequest("GET", "/app/data", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		if _, ok := e.gw.Handle(w, req); ok {
			return http.StatusOK
		}
		return w.Code
	}
	login := func() int {
		req := httptest.NewRequest("POST", "/identity/v2/auth/login?apikey="+testKey,
			strings.NewReader(`{"email":"alice@example.com","password":"`+testPass+`"}`))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		e.gw.Handle(w, req)
		return w.Code
	}

	const workers, rounds = 4, 40
	var started, done sync.WaitGroup
	statuses := make(chan int, 2*workers*rounds)
	for i := range workers {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			for r := range rounds {
				if i%2 == 0 {
					statuses <- protected()
				} else {
					statuses <- login()
				}
				if r == 0 {
					started.Done()
				}
			}
		}()
	}
	// Close while every worker is past its first request and still going.
	started.Wait()
	if err := e.gw.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	done.Wait()
	close(statuses)
	n := 0
	for s := range statuses {
		n++
		if s != http.StatusOK {
			t.Errorf("a request during or after Close answered %d, want 200", s)
		}
	}
	if n != workers*rounds {
		t.Fatalf("%d answers, want %d", n, workers*rounds)
	}
	// After Close the gateway still verifies tokens, from the store.
	if s := protected(); s != http.StatusOK {
		t.Fatalf("protected path after Close: %d, want 200", s)
	}
}
