package hashing

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// cheapHash keeps the tests fast; testPepper is a pepper long enough.
var cheapHash = Params{Time: 1, MemoryKiB: 64, Threads: 1}

const testPepper = "unit-test-pepper-0123456789"

func TestHashVerifiesOnlyTheRightSecret(t *testing.T) {
	t.Parallel()
	h, err := New(Options{Params: cheapHash, Peppers: secret.NewPeppers([]string{testPepper}), MaxConcurrent: 2, QueueTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := h.Hash(context.Background(), "", "4821")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(enc, "4821") || !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1,k=") {
		t.Fatalf("unexpected encoding %q", enc)
	}
	if ok, rehash := h.VerifyHeld(enc, "4821"); !ok || rehash {
		t.Fatalf("right secret: ok=%v rehash=%v", ok, rehash)
	}
	for _, wrong := range []string{"4822", "", "48210"} {
		if ok, _ := h.VerifyHeld(enc, wrong); ok {
			t.Fatalf("wrong secret %q verified", wrong)
		}
	}
	for _, bad := range []string{"", "$argon2id$v=19$garbage", "plaintext"} {
		if ok, _ := h.VerifyHeld(bad, "4821"); ok {
			t.Fatalf("malformed hash %q verified", bad)
		}
	}
}

func TestHashNeedsThePepperAndUpgradesOldOnes(t *testing.T) {
	t.Parallel()
	old, _ := New(Options{Params: cheapHash, Peppers: secret.NewPeppers([]string{"old-pepper-0123456789"}), MaxConcurrent: 1, QueueTimeout: time.Second})
	enc, _ := old.Hash(context.Background(), "", "4821")

	stranger, _ := New(Options{Params: cheapHash, Peppers: secret.NewPeppers([]string{"another-pepper-0123456789"}), MaxConcurrent: 1, QueueTimeout: time.Second})
	if ok, _ := stranger.VerifyHeld(enc, "4821"); ok {
		t.Fatal("a hash verified without its pepper")
	}
	rotated, _ := New(Options{Params: cheapHash, Peppers: secret.NewPeppers([]string{"new-pepper-0123456789", "old-pepper-0123456789"}), MaxConcurrent: 1, QueueTimeout: time.Second})
	if ok, rehash := rotated.VerifyHeld(enc, "4821"); !ok || !rehash {
		t.Fatalf("old-pepper hash: ok=%v rehash=%v, want true true", ok, rehash)
	}
	stronger, _ := New(Options{Params: Params{Time: 2, MemoryKiB: 64, Threads: 1}, Peppers: secret.NewPeppers([]string{"old-pepper-0123456789"}), MaxConcurrent: 1, QueueTimeout: time.Second})
	if ok, rehash := stronger.VerifyHeld(enc, "4821"); !ok || !rehash {
		t.Fatalf("old-parameter hash: ok=%v rehash=%v, want true true", ok, rehash)
	}
}

func TestFullHashQueueFailsFastInsteadOfPilingUp(t *testing.T) {
	t.Parallel()
	h, _ := New(Options{Params: cheapHash, Peppers: secret.NewPeppers([]string{testPepper}), MaxConcurrent: 1, QueueTimeout: 20 * time.Millisecond})
	if err := h.Acquire(context.Background(), "holder"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := h.Acquire(context.Background(), "holder")
	if !errors.Is(err, ErrQueueFull) {
		t.Fatalf("second acquire: %v, want ErrQueueFull", err)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Fatalf("acquire waited %v", waited)
	}
	h.Release("holder")
	if err := h.Acquire(context.Background(), "holder"); err != nil {
		t.Fatalf("acquire after release: %v", err)
	}
}

// TestAHashsSchemeNamesItsCostAndPepper is what `caddy pinauth stats`
// relies on to tell an operator which pepper and cost each hash is under.
func TestAHashsSchemeNamesItsCostAndPepper(t *testing.T) {
	t.Parallel()
	h, err := New(Options{Params: cheapHash, Peppers: secret.NewPeppers([]string{"new-pepper-0123456789", testPepper}), MaxConcurrent: 1, QueueTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := h.Hash(context.Background(), "", "4821")
	if err != nil {
		t.Fatal(err)
	}
	p, id, err := ParseScheme(store.HashScheme(enc))
	if err != nil || p != cheapHash || id != PepperID("new-pepper-0123456789") || id == PepperID(testPepper) {
		t.Errorf("ParseScheme(%q) = %+v, %q, %v; want %+v under the first pepper", store.HashScheme(enc), p, id, err, cheapHash)
	}
	for _, bad := range []string{"", enc, "$argon2id$v=19", "$bcrypt$v=19$m=1,t=1,p=1,k=ab", "$argon2id$v=19$m=0,t=1,p=1,k=ab"} {
		if _, _, err := ParseScheme(bad); err == nil {
			t.Errorf("ParseScheme(%q) accepted it", bad)
		}
	}
}
