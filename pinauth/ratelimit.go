package pinauth

import (
	"hash/maphash"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// RateLimitPolicy bounds the credential checks one client may start.
type RateLimitPolicy struct {
	// Requests is how many credential checks a client may make in a burst;
	// after it, one more per Window/Requests. Default: 300.
	Requests int
	// Window is the period Requests refers to. Default: 1m.
	Window time.Duration
}

// The rate-limit defaults.
const (
	DefaultRateLimitRequests = 300
	DefaultRateLimitWindow   = time.Minute
	// DefaultRateLimitClients bounds the clients a RateLimiter remembers
	// (about 20 MiB at most).
	DefaultRateLimitClients = 1 << 18
)

func (p *RateLimitPolicy) withDefaults() {
	if p.Requests <= 0 {
		p.Requests = DefaultRateLimitRequests
	}
	setDefault(&p.Window, DefaultRateLimitWindow)
}

// RateLimiter is the per-client state of the rate limit on credential
// checks. It is in memory and per process: each node of a cluster limits on
// its own, so a client may make up to nodes × Requests checks per window
// across a cluster (the per-account lockout, kept in the store, is exact
// cluster-wide). It uses the generic cell rate algorithm, which keeps one
// timestamp per client, and forgets clients once their budget is full
// again, so memory stays bounded. Share one RateLimiter between the
// Gateways of successive configurations to keep counts across reloads. It
// is safe for concurrent use.
type RateLimiter struct {
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

// NewRateLimiter returns an empty limiter that remembers at most
// maxClients clients (DefaultRateLimitClients when maxClients <= 0). When
// more clients are active at once, arbitrary ones are forgotten: a client
// with that many addresses is not stopped by a per-address limit anyway.
func NewRateLimiter(maxClients int) *RateLimiter {
	if maxClients <= 0 {
		maxClients = DefaultRateLimitClients
	}
	l := &RateLimiter{seed: maphash.MakeSeed(), maxPerShard: max(1, maxClients/rateShards)}
	for i := range l.shards {
		l.shards[i].tat = map[string]int64{}
	}
	return l
}

// Len returns the number of clients currently remembered.
func (l *RateLimiter) Len() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += len(s.tat)
		s.mu.Unlock()
	}
	return n
}

// allow counts one check of client under p at now. When the client's budget
// is spent it counts nothing and returns false with the time until the next
// check would be allowed.
func (l *RateLimiter) allow(client string, p RateLimitPolicy, now time.Time) (bool, time.Duration) {
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

// spent reports, without counting anything, whether client's budget under
// p is spent at now, and if so the time until allow would pass again.
func (l *RateLimiter) spent(client string, p RateLimitPolicy, now time.Time) (bool, time.Duration) {
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

// refund gives back one check counted by allow (the check did not happen:
// the captcha provider was down).
func (l *RateLimiter) refund(client string, p RateLimitPolicy, now time.Time) {
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

func (l *RateLimiter) shard(client string) *rateShard {
	return &l.shards[maphash.String(l.seed, client)%rateShards]
}

// maybeSweep drops idle clients from every shard, at most once per
// rateSweepEvery; of concurrent callers one does it.
func (l *RateLimiter) maybeSweep(t int64) {
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

// rateKey is the limiter key of a client address: IPv6 clients are keyed
// by their /64, since one host commonly holds a whole /64.
func rateKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	if a.Is4() {
		return ip // already canonical: no allocation on the hot path
	}
	if a.Is4In6() {
		return a.Unmap().String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}
