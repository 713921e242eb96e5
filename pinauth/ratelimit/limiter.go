// Package ratelimit is the per-client rate limit on credential checks: a
// generic cell rate limiter kept in memory, with the policy that bounds it
// and the key that groups a client's addresses. It knows nothing of the
// gateway; the core decides what counts as a check and what to answer.
package ratelimit

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// Limiter is the per-client state of the rate limit on credential
// checks. It is in memory and per process: each node of a cluster limits on
// its own, so a client may make up to nodes × Requests checks per window
// across a cluster (the per-account lockout, kept in the store, is exact
// cluster-wide). It uses the generic cell rate algorithm, which keeps one
// timestamp per client, and forgets clients once their budget is full
// again, so memory stays bounded. Share one Limiter between the
// Gateways of successive configurations to keep counts across reloads. It
// is safe for concurrent use.
type Limiter struct {
	seed        maphash.Seed
	shards      [rateShards]rateShard
	maxPerShard int
	// nextSweep is when (Unix nanoseconds) idle clients are next dropped.
	nextSweep atomic.Int64
}

// rateShards spreads clients over independently locked maps.
const rateShards = 64

// rateSweepEvery is how often idle clients (whose budget is full) are
// dropped.
const rateSweepEvery = time.Minute

type rateShard struct {
	mu sync.Mutex
	// tat is each client's theoretical arrival time (Unix nanoseconds):
	// the budget is full again at tat.
	tat map[string]int64
}

// New returns an empty limiter that remembers at most maxClients clients
// (DefaultClients when maxClients <= 0). When
// more clients are active at once, arbitrary ones are forgotten: a client
// with that many addresses is not stopped by a per-address limit anyway.
func New(maxClients int) *Limiter {
	if maxClients <= 0 {
		maxClients = DefaultClients
	}
	l := &Limiter{seed: maphash.MakeSeed(), maxPerShard: max(1, maxClients/rateShards)}
	for i := range l.shards {
		l.shards[i].tat = map[string]int64{}
	}
	return l
}

// Len returns the number of clients currently remembered.
func (l *Limiter) Len() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += len(s.tat)
		s.mu.Unlock()
	}
	return n
}

// Allow counts one check of client under p at now. When the client's budget
// is spent it counts nothing and returns false with the time until the next
// check would be allowed.
func (l *Limiter) Allow(client string, p Policy, now time.Time) (bool, time.Duration) {
	interval := int64(p.Window) / int64(p.Requests)
	tolerance := int64(p.Window) - interval
	t := now.UnixNano()
	l.maybeSweep(t)
	s := l.shard(client)
	s.mu.Lock()
	defer s.mu.Unlock()
	tat, known := s.tat[client]
	tat = max(tat, t)
	if tat-t > tolerance {
		return false, time.Duration(tat - t - tolerance)
	}
	if !known && len(s.tat) >= l.maxPerShard {
		s.sweep(t)
		if len(s.tat) >= l.maxPerShard {
			for k := range s.tat {
				delete(s.tat, k)
				break
			}
		}
	}
	s.tat[client] = tat + interval
	return true, 0
}

// Spent reports, without counting anything, whether client's budget under
// p is spent at now, and if so the time until Allow would pass again.
func (l *Limiter) Spent(client string, p Policy, now time.Time) (bool, time.Duration) {
	interval := int64(p.Window) / int64(p.Requests)
	tolerance := int64(p.Window) - interval
	t := now.UnixNano()
	s := l.shard(client)
	s.mu.Lock()
	tat, known := s.tat[client]
	s.mu.Unlock()
	if !known || tat-t <= tolerance {
		return false, 0
	}
	return true, time.Duration(tat - t - tolerance)
}

// Refund gives back one check counted by Allow (the check did not happen
// for a reason that is not the client's: the captcha provider was down).
func (l *Limiter) Refund(client string, p Policy, now time.Time) {
	interval := int64(p.Window) / int64(p.Requests)
	t := now.UnixNano()
	s := l.shard(client)
	s.mu.Lock()
	defer s.mu.Unlock()
	if tat, ok := s.tat[client]; ok {
		if tat -= interval; tat <= t {
			delete(s.tat, client)
		} else {
			s.tat[client] = tat
		}
	}
}

func (l *Limiter) shard(client string) *rateShard {
	return &l.shards[maphash.String(l.seed, client)%rateShards]
}

// maybeSweep drops idle clients from every shard, at most once per
// rateSweepEvery; of concurrent callers one does it.
func (l *Limiter) maybeSweep(t int64) {
	next := l.nextSweep.Load()
	if t < next || !l.nextSweep.CompareAndSwap(next, t+int64(rateSweepEvery)) {
		return
	}
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		s.sweep(t)
		s.mu.Unlock()
	}
}

// sweep drops the clients whose budget is full at t: they are
// indistinguishable from clients never seen. The caller holds s.mu.
func (s *rateShard) sweep(t int64) {
	for k, tat := range s.tat {
		if tat <= t {
			delete(s.tat, k)
		}
	}
}
