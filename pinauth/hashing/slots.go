package hashing

import (
	"context"
	"sync"
	"time"
)

// slots is the hashing semaphore: at most cap hashes in flight, and a
// queue for the rest that is fair per client. A free slot goes to a waiter
// at once when nobody else waits, so one client alone may use every slot
// (a single app back end, the load test); but when a slot frees while
// several clients wait, it goes to the waiting client holding the fewest
// slots, and among those to the one served least recently. A few
// addresses flooding the queue with hopeless logins therefore delay
// another client by at most one release (the next hash to finish), not
// by the whole queue, and no client holds more than its share of the
// slots while others wait (issue 15, finding 10). Clients are keyed as
// the rate limit keys them (ratelimit.Key): an IPv6 host's whole /64 is one.
type slots struct {
	mu    sync.Mutex
	cap   int
	inUse int
	// waiting counts queued waiters.
	waiting int
	// clients holds every client that holds a slot or waits for one;
	// queued lists, in no order, those that wait.
	clients map[string]*slotClient
	queued  []*slotClient
	// grants counts slots handed out; a client's lastGrant is the count
	// at its latest, for the least-recently-served tie-break.
	grants uint64
}

// slotClient is one client's holdings and its waiters, oldest first.
type slotClient struct {
	key       string
	held      int
	lastGrant uint64
	waiters   []*slotWaiter
}

// slotWaiter is one queued acquisition. ready receives one value when the
// waiter is granted a slot.
type slotWaiter struct {
	ready   chan struct{}
	granted bool
}

func newSlots(n int) *slots {
	return &slots{cap: n, clients: map[string]*slotClient{}}
}

// acquire takes a slot for client, waiting at most timeout. It returns
// the time spent waiting, and ErrQueueFull when no slot came in time
// or ctx's error when ctx ended first.
func (s *slots) acquire(ctx context.Context, client string, timeout time.Duration) (time.Duration, error) {
	w := s.join(client)
	if w == nil {
		return 0, nil
	}
	start := time.Now()
	t := time.NewTimer(timeout)
	defer t.Stop()
	var err error
	select {
	case <-w.ready:
		return time.Since(start), nil
	case <-t.C:
		err = ErrQueueFull
	case <-ctx.Done():
		err = ctx.Err()
	}
	if s.leave(client, w) {
		// Granted while giving up: the slot is ours after all.
		return time.Since(start), nil
	}
	return time.Since(start), err
}

// join takes a free slot for client and returns nil, or queues a waiter
// and returns it. Free slots with waiters queued do not exist: release
// hands a freed slot straight to a waiter.
func (s *slots) join(client string) *slotWaiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.clients[client]
	if c == nil {
		c = &slotClient{key: client}
		s.clients[client] = c
	}
	if s.inUse < s.cap {
		s.grant(c)
		return nil
	}
	w := &slotWaiter{ready: make(chan struct{}, 1)}
	if len(c.waiters) == 0 {
		s.queued = append(s.queued, c)
	}
	c.waiters = append(c.waiters, w)
	s.waiting++
	return w
}

// leave takes a waiter that gave up out of the queue. It reports true when
// the waiter had been granted a slot meanwhile: the caller then holds it.
func (s *slots) leave(client string, w *slotWaiter) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w.granted {
		return true
	}
	c := s.clients[client]
	for i, x := range c.waiters {
		if x == w {
			c.waiters = append(c.waiters[:i], c.waiters[i+1:]...)
			break
		}
	}
	s.waiting--
	if len(c.waiters) == 0 {
		s.unqueue(c)
		s.forgetIdle(c)
	}
	return false
}

// release gives back a slot of client, handing it to the next waiter.
func (s *slots) release(client string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.clients[client]
	c.held--
	s.inUse--
	s.forgetIdle(c)
	next := s.next()
	if next == nil {
		return
	}
	w := next.waiters[0]
	next.waiters[0] = nil
	next.waiters = next.waiters[1:]
	if len(next.waiters) == 0 {
		s.unqueue(next)
	}
	s.waiting--
	s.grant(next)
	w.granted = true
	w.ready <- struct{}{}
}

// next is the waiting client that gets the next slot: fewest slots held,
// then least recently served; nil when nobody waits.
func (s *slots) next() *slotClient {
	var best *slotClient
	for _, c := range s.queued {
		if best == nil || c.held < best.held || (c.held == best.held && c.lastGrant < best.lastGrant) {
			best = c
		}
	}
	return best
}

// grant gives c a slot. The caller holds s.mu.
func (s *slots) grant(c *slotClient) {
	s.grants++
	s.inUse++
	c.held++
	c.lastGrant = s.grants
}

// unqueue drops c, which has no waiters left, from the queued list.
func (s *slots) unqueue(c *slotClient) {
	for i, x := range s.queued {
		if x == c {
			last := len(s.queued) - 1
			s.queued[i], s.queued[last] = s.queued[last], nil
			s.queued = s.queued[:last]
			return
		}
	}
}

// forgetIdle drops a client that neither holds nor waits: memory stays
// bounded by the slots and the waiters. A client forgotten this way was
// not using its share, so it loses nothing by starting afresh.
func (s *slots) forgetIdle(c *slotClient) {
	if c.held == 0 && len(c.waiters) == 0 {
		delete(s.clients, c.key)
	}
}

// state returns the waiters, the slots in use and the slots in all.
func (s *slots) state() (waiting, inUse, capacity int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waiting, s.inUse, s.cap
}
