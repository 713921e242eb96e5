package pinauth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/ratelimit"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

func TestHashVerifiesOnlyTheRightSecret(t *testing.T) {
	t.Parallel()
	h, err := newHasher(cheapHash, secret.NewPeppers([]string{testPepper}), 2, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := h.hash(context.Background(), "", "4821")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(enc, "4821") || !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1,k=") {
		t.Fatalf("unexpected encoding %q", enc)
	}
	if ok, rehash := h.verifyHeld(enc, "4821"); !ok || rehash {
		t.Fatalf("right secret: ok=%v rehash=%v", ok, rehash)
	}
	for _, wrong := range []string{"4822", "", "48210"} {
		if ok, _ := h.verifyHeld(enc, wrong); ok {
			t.Fatalf("wrong secret %q verified", wrong)
		}
	}
	for _, bad := range []string{"", "$argon2id$v=19$garbage", "plaintext"} {
		if ok, _ := h.verifyHeld(bad, "4821"); ok {
			t.Fatalf("malformed hash %q verified", bad)
		}
	}
}

func TestHashNeedsThePepperAndUpgradesOldOnes(t *testing.T) {
	t.Parallel()
	old, _ := newHasher(cheapHash, secret.NewPeppers([]string{"old-pepper-0123456789"}), 1, time.Second)
	enc, _ := old.hash(context.Background(), "", "4821")

	stranger, _ := newHasher(cheapHash, secret.NewPeppers([]string{"another-pepper-0123456789"}), 1, time.Second)
	if ok, _ := stranger.verifyHeld(enc, "4821"); ok {
		t.Fatal("a hash verified without its pepper")
	}
	rotated, _ := newHasher(cheapHash, secret.NewPeppers([]string{"new-pepper-0123456789", "old-pepper-0123456789"}), 1, time.Second)
	if ok, rehash := rotated.verifyHeld(enc, "4821"); !ok || !rehash {
		t.Fatalf("old-pepper hash: ok=%v rehash=%v, want true true", ok, rehash)
	}
	stronger, _ := newHasher(HashParams{Time: 2, MemoryKiB: 64, Threads: 1}, secret.NewPeppers([]string{"old-pepper-0123456789"}), 1, time.Second)
	if ok, rehash := stronger.verifyHeld(enc, "4821"); !ok || !rehash {
		t.Fatalf("old-parameter hash: ok=%v rehash=%v, want true true", ok, rehash)
	}
}

func TestFullHashQueueFailsFastInsteadOfPilingUp(t *testing.T) {
	t.Parallel()
	h, _ := newHasher(cheapHash, secret.NewPeppers([]string{testPepper}), 1, 20*time.Millisecond)
	if err := h.acquire(context.Background(), "holder"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := h.acquire(context.Background(), "holder")
	if !errors.Is(err, ErrHashQueueFull) {
		t.Fatalf("second acquire: %v, want ErrHashQueueFull", err)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Fatalf("acquire waited %v", waited)
	}
	h.release("holder")
	if err := h.acquire(context.Background(), "holder"); err != nil {
		t.Fatalf("acquire after release: %v", err)
	}
}

func TestFullHashQueueAnswers503WithRetryAfter(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, func(c *Config) { c.MaxConcurrentHashes = 1; c.HashQueueTimeout = time.Millisecond })
	st := e.loggedIn(testEmail).str("session_token")
	if err := e.gw.hasher.acquire(context.Background(), "holder"); err != nil {
		t.Fatal(err)
	}
	r := e.pinLogin(st, testPIN)
	e.gw.hasher.release("holder")
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
	if err := e.gw.hasher.acquire(context.Background(), "holder"); err != nil {
		t.Fatal(err)
	}
	defer e.gw.hasher.release("holder")
	if r := e.passwordLogin("nobody@example.com", "whatever1"); r.status != 503 {
		t.Fatalf("unknown account did not need a hashing slot: %d %s", r.status, r.raw)
	}
	if r := e.pinLogin("00000000-0000-4000-8000-000000000000", testPIN); r.status != 503 {
		t.Fatalf("unknown session token did not need a hashing slot: %d %s", r.status, r.raw)
	}
}

// TestAHashsSchemeNamesItsCostAndPepper is what `caddy pinauth stats`
// relies on to tell an operator which pepper and cost each hash is under.
func TestAHashsSchemeNamesItsCostAndPepper(t *testing.T) {
	t.Parallel()
	h, err := newHasher(cheapHash, secret.NewPeppers([]string{"new-pepper-0123456789", testPepper}), 1, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := h.hash(context.Background(), "", "4821")
	if err != nil {
		t.Fatal(err)
	}
	p, id, err := ParseHashScheme(store.HashScheme(enc))
	if err != nil || p != cheapHash || id != PepperID("new-pepper-0123456789") || id == PepperID(testPepper) {
		t.Errorf("ParseHashScheme(%q) = %+v, %q, %v; want %+v under the first pepper", store.HashScheme(enc), p, id, err, cheapHash)
	}
	for _, bad := range []string{"", enc, "$argon2id$v=19", "$bcrypt$v=19$m=1,t=1,p=1,k=ab", "$argon2id$v=19$m=0,t=1,p=1,k=ab"} {
		if _, _, err := ParseHashScheme(bad); err == nil {
			t.Errorf("ParseHashScheme(%q) accepted it", bad)
		}
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
	if err := e.gw.hasher.acquire(context.Background(), "holder"); err != nil {
		t.Fatal(err)
	}
	defer e.gw.hasher.release("holder")
	for i := range 3 {
		if r := e.passwordLogin("nobody@example.com", "whatever1"); r.status != 503 {
			t.Fatalf("login %d on a full queue: %d %s, want 503", i+1, r.status, r.raw)
		}
	}
	if r := e.passwordLogin("nobody@example.com", "whatever1"); r.status != 429 || r.code() != 429 {
		t.Fatalf("the fourth login after three 503s: %d %s, want 429 (the 503s spent the budget)", r.status, r.raw)
	}
}
