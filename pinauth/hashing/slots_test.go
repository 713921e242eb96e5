package hashing

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

// granted reports whether w has been handed a slot, without waiting.
func granted(w *slotWaiter) bool {
	select {
	case <-w.ready:
		return true
	default:
		return false
	}
}

// TestHashSlotsHandAFreedSlotToTheWaitingClientHoldingFewest replays issue
// 15's flood at the queue itself, with no timing involved: one client
// holds every slot and has a queue of its own, another client arrives
// last, and the next freed slot is the newcomer's, not the flood's oldest
// waiter's. Further releases go round the clients.
func TestHashSlotsHandAFreedSlotToTheWaitingClientHoldingFewest(t *testing.T) {
	t.Parallel()
	s := newSlots(2)
	for range 2 {
		if w := s.join("flood"); w != nil {
			t.Fatal("a free slot was not taken at once")
		}
	}
	var flood []*slotWaiter
	for range 5 {
		flood = append(flood, s.join("flood"))
	}
	victim := s.join("victim")
	if victim == nil {
		t.Fatal("the victim got a slot while the flood held them all")
	}
	s.release("flood")
	if !granted(victim) {
		t.Fatal("the freed slot did not go to the client holding none")
	}
	for i, w := range flood {
		if granted(w) {
			t.Fatalf("flood waiter %d was served before the victim", i)
		}
	}
	// Now flood and victim hold one each. A third client queues two.
	late := []*slotWaiter{s.join("late"), s.join("late")}
	s.release("flood") // flood 0, late 0 (never served): late wins the tie
	if !granted(late[0]) || granted(flood[0]) {
		t.Fatal("a tie between clients holding none did not go to the one served least recently")
	}
	s.release("victim") // victim has nobody waiting; flood 0 < late 1
	if !granted(flood[0]) || granted(late[1]) {
		t.Fatal("the slot did not go to the waiting client holding fewest")
	}
	s.release("late") // late 0 < flood 1
	if !granted(late[1]) || granted(flood[1]) {
		t.Fatal("the slot did not go back to the client holding fewest")
	}
	if waiting, inUse, capacity := s.state(); waiting != 4 || inUse != 2 || capacity != 2 {
		t.Fatalf("state = %d waiting, %d in use, %d slots; want 4, 2, 2", waiting, inUse, capacity)
	}
}

// TestHashSlotsLetALoneClientUseEverySlot: fairness never idles a slot, so
// one app back end (or the load test, from one address) keeps the whole
// hashing capacity.
func TestHashSlotsLetALoneClientUseEverySlot(t *testing.T) {
	t.Parallel()
	s := newSlots(4)
	for i := range 4 {
		if s.join("app") != nil {
			t.Fatalf("acquisition %d waited with slots free", i+1)
		}
	}
	w := s.join("app")
	if w == nil {
		t.Fatal("a fifth acquisition got a slot of four")
	}
	s.release("app")
	if !granted(w) {
		t.Fatal("the client's own waiter did not get its freed slot")
	}
}

// TestHashSlotsWaitersThatGiveUpLeaveNoTrace: a waiter that times out is
// gone from the queue (the next release frees the slot rather than handing
// it to nobody), and one granted just as it gave up keeps its slot.
func TestHashSlotsWaitersThatGiveUpLeaveNoTrace(t *testing.T) {
	t.Parallel()
	s := newSlots(1)
	ctx := context.Background()
	if _, err := s.acquire(ctx, "a", time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := s.acquire(ctx, "b", time.Millisecond); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("acquire on a full queue: %v, want ErrQueueFull", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.acquire(cancelled, "c", time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("acquire with an ended context: %v, want context.Canceled", err)
	}
	if waiting, inUse, _ := s.state(); waiting != 0 || inUse != 1 {
		t.Fatalf("after two waiters gave up: %d waiting, %d in use; want 0, 1", waiting, inUse)
	}
	s.release("a")
	if waiting, inUse, _ := s.state(); waiting != 0 || inUse != 0 || len(s.clients) != 0 {
		t.Fatalf("after the release: %d waiting, %d in use, %d clients remembered; want 0, 0, 0",
			waiting, inUse, len(s.clients))
	}

	// Granted and giving up at once: the slot is the waiter's.
	if s.join("a") != nil {
		t.Fatal("no free slot")
	}
	w := s.join("b")
	s.release("a")
	if !s.leave("b", w) {
		t.Fatal("a waiter granted as it gave up lost its slot")
	}
	s.release("b")
	if _, inUse, _ := s.state(); inUse != 0 || len(s.clients) != 0 {
		t.Fatalf("%d slots in use, %d clients remembered after all released", inUse, len(s.clients))
	}
}

// TestHashSlotsServeFairlyUnderARandomWorkload drives the queue with a
// random mix of clients joining and releasing, and checks after every
// release the rule itself: the slot went to a waiting client that held no
// more than any other waiting client, slots are never over-committed, and
// nobody waits while a slot is free.
func TestHashSlotsServeFairlyUnderARandomWorkload(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(15, 10))
	clients := []string{"a", "b", "c", "d", "e"}
	s := newSlots(3)
	held := map[string]int{}
	queued := map[string][]*slotWaiter{}
	for step := range 20000 {
		if rng.IntN(2) == 0 {
			// A client with more weight joins more often: the flood.
			c := clients[min(rng.IntN(8), len(clients)-1)]
			if w := s.join(c); w == nil {
				held[c]++
			} else {
				queued[c] = append(queued[c], w)
			}
		} else {
			var holders []string
			for _, c := range clients {
				if held[c] > 0 {
					holders = append(holders, c)
				}
			}
			if len(holders) == 0 {
				continue
			}
			before := map[string]int{}
			for c, ws := range queued {
				if len(ws) > 0 {
					before[c] = held[c]
				}
			}
			r := holders[rng.IntN(len(holders))]
			s.release(r)
			held[r]--
			if _, ok := before[r]; ok {
				before[r] = held[r] // the releaser now holds one less
			}
			for c, ws := range queued {
				if len(ws) == 0 || !granted(ws[0]) {
					continue
				}
				for other, h := range before {
					if other != c && h < before[c] {
						t.Fatalf("step %d: the slot went to %s holding %d while %s waited holding %d", step, c, before[c], other, h)
					}
				}
				queued[c] = ws[1:]
				held[c]++
			}
		}
		waiting, inUse, capacity := s.state()
		if inUse > capacity || (waiting > 0 && inUse < capacity) {
			t.Fatalf("step %d: %d waiting, %d of %d slots in use", step, waiting, inUse, capacity)
		}
	}
}
