package pinauth

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/ratelimit"
)

func TestFullHashQueueAnswers503WithRetryAfter(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, func(c *Config) { c.MaxConcurrentHashes = 1; c.HashQueueTimeout = time.Millisecond })
	st := e.loggedIn(testEmail).str("session_token")
	if err := e.gw.hasher.Acquire(context.Background(), "holder"); err != nil {
		t.Fatal(err)
	}
	r := e.pinLogin(st, testPIN)
	e.gw.hasher.Release("holder")
	if r.status != 503 || r.code() != 503 || r.header.Get("Retry-After") == "" {
		t.Fatalf("want 503 with Retry-After, got %d %v %s", r.status, r.header, r.raw)
	}
	uid := e.do("GET", "/identity/v2/manage/account?email="+testEmail+"&apikey="+testKey+"&apisecret="+testSecret, nil).str("Uid")
	if a := e.attempts(uid); a.Failures != 0 {
		t.Fatalf("a 503 counted as a failed attempt: %+v", a)
	}
}

func TestPepperMismatchStopsStartupAndRotationIsAccepted(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	e.createAccount(testEmail, testPIN)
	cfg := e.cfg
	cfg.Peppers = []string{"a-completely-different-pepper"}
	if _, err := New(cfg); err == nil || strings.Contains(err.Error(), "different") {
		t.Fatalf("wrong pepper: err = %v (must fail and not echo the pepper)", err)
	}
	cfg.Peppers = []string{"the-new-pepper-0123456789", testPepper}
	gw, err := New(cfg)
	if err != nil {
		t.Fatalf("rotated pepper: %v", err)
	}
	gw.Close()
	// After the rotation the old pepper alone is no longer accepted.
	cfg.Peppers = []string{testPepper}
	if _, err := New(cfg); err == nil {
		t.Fatal("the old pepper was accepted after rotation")
	}
}

func TestUnknownAccountsCostAHash(t *testing.T) {
	t.Parallel()
	// Counting hashes is exact where timing is not: an unknown account
	// must take a hashing slot just like a known one.
	e := newTestEnv(t, func(c *Config) { c.MaxConcurrentHashes = 1; c.HashQueueTimeout = time.Millisecond })
	if err := e.gw.hasher.Acquire(context.Background(), "holder"); err != nil {
		t.Fatal(err)
	}
	defer e.gw.hasher.Release("holder")
	if r := e.passwordLogin("nobody@example.com", "whatever1"); r.status != 503 {
		t.Fatalf("unknown account did not need a hashing slot: %d %s", r.status, r.raw)
	}
	if r := e.pinLogin("00000000-0000-4000-8000-000000000000", testPIN); r.status != 503 {
		t.Fatalf("unknown session token did not need a hashing slot: %d %s", r.status, r.raw)
	}
}

// TestAFullHashQueueStillSpendsTheClientsRateLimit: a 503 from a full
// hashing queue does not give the client its rate-limit count back. It
// used to, so a flood that filled the queue kept its budget whole with
// its own 503s (issue 15, finding 10): three 503s spend a budget of three,
// and the fourth try is 429 even though the queue is as full as before.
func TestAFullHashQueueStillSpendsTheClientsRateLimit(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, func(c *Config) {
		c.MaxConcurrentHashes = 1
		c.HashQueueTimeout = time.Millisecond
		c.RateLimit = ratelimit.Policy{Requests: 3, Window: time.Hour}
	})
	if err := e.gw.hasher.Acquire(context.Background(), "holder"); err != nil {
		t.Fatal(err)
	}
	defer e.gw.hasher.Release("holder")
	for i := range 3 {
		if r := e.passwordLogin("nobody@example.com", "whatever1"); r.status != 503 {
			t.Fatalf("login %d on a full queue: %d %s, want 503", i+1, r.status, r.raw)
		}
	}
	if r := e.passwordLogin("nobody@example.com", "whatever1"); r.status != 429 || r.code() != 429 {
		t.Fatalf("the fourth login after three 503s: %d %s, want 429 (the 503s spent the budget)", r.status, r.raw)
	}
}
