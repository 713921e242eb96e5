package tests

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestAFloodFromFourAddressesDoesNotHoldUpALoginFromAFifth replays issue
// 15's availability finding on real Caddy: four client addresses
// (127.0.0.2–5) with 24 connections each post unknown-account logins
// back to back, each costing a hash, so the hashing queue is full for the
// whole run. A user at a fifth address (127.0.0.9) then logs in twelve
// times. Every one of those logins must succeed (never 503), and the
// typical one must take no longer than its login on the idle gateway plus
// three hash times, both measured in this run (a hash time under the
// flood from the flood's own throughput): the fair queue hands the user
// the next slot that frees, so it waits at most one hash, where a
// first-come queue made it wait behind the flood's ninety waiters, some
// forty hash times. The per-IP rate limit is lifted so that it does not
// thin the flood: what is tested is the queue. Speed itself is measured
// by bench/, not here.
func TestAFloodFromFourAddressesDoesNotHoldUpALoginFromAFifth(t *testing.T) {
	t.Parallel()
	g, metricsURL := startGatewayWithMetrics(t, func(s *siteConfig) {
		// A hash that costs more than the HTTP around it, as in production.
		s.Hash = "hash argon2id 1 16384 1"
		s.Extra = "\t\trate_limit 1000000 1m"
	})
	g.createAccount(pin)

	const logins = 12
	user := loopbackClient(t, "127.0.0.9")
	login := func() (response, time.Duration) {
		start := time.Now()
		r := g.doWith(user, "POST", apiPrefix+"/auth/login?apikey="+g.key(),
			map[string]string{"email": email, "password": password})
		return r, time.Since(start)
	}
	median := func(ds []time.Duration) time.Duration {
		ds = slices.Clone(ds)
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	var idle []time.Duration
	for i := range 5 {
		r, d := login()
		if r.status != 200 {
			t.Fatalf("login %d on the idle gateway: %d %s", i+1, r.status, r.raw)
		}
		idle = append(idle, d)
	}
	base := median(idle)

	stop := make(chan struct{})
	var flood sync.WaitGroup
	// hashed counts the flood's answers that cost a hash (966 for the
	// unknown account), unavailable its 503s (no hash: the queue timed out).
	var hashed, unavailable atomic.Int64
	for a := range 4 {
		client := loopbackClient(t, fmt.Sprintf("127.0.0.%d", 2+a))
		for c := range 24 {
			flood.Add(1)
			go func() {
				defer flood.Done()
				body := map[string]string{"email": fmt.Sprintf("nobody-%d-%d@example.com", a, c), "password": "a guess"}
				for {
					select {
					case <-stop:
						return
					default:
					}
					r, err := g.tryDoWith(client, "POST", apiPrefix+"/auth/login?apikey="+g.key(), body)
					if err != nil {
						continue // the test is ending, or a connection was reset
					}
					switch r.status {
					case 401:
						hashed.Add(1)
					case 503:
						unavailable.Add(1)
					}
				}
			}()
		}
	}
	defer func() {
		close(stop)
		flood.Wait()
	}()
	// The flood is on when most of its 96 requests wait for a slot.
	waitQueue := func(what string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for scrape(t, metricsURL)["pinauth_hash_queue_waiting"] < 48 {
			if time.Now().After(deadline) {
				t.Fatalf("%s: the flood never filled the hashing queue (%d hashes done)", what, hashed.Load())
			}
		}
	}
	waitQueue("before the user's logins")

	slots := scrape(t, metricsURL)["pinauth_hash_slots"]
	hashedBefore, phase := hashed.Load(), time.Now()
	var flooded []time.Duration
	for i := range logins {
		r, d := login()
		if r.status != 200 {
			t.Fatalf("login %d during the flood: %d %s (after %v; on the idle gateway a login took %v)",
				i+1, r.status, r.raw, d, base)
		}
		flooded = append(flooded, d)
	}
	// One hash under the flood, measured by the flood itself: the slots
	// were busy the whole phase, so each took slots × phase / hashes.
	hashes := hashed.Load() - hashedBefore + logins
	hash := time.Duration(slots * float64(time.Since(phase)) / float64(hashes))
	waitQueue("after the user's logins")
	during := median(flooded)
	t.Logf("user's login: %v idle, %v during the flood (%.1f hash times of %v, %d slots); flood: %d hashes, %d answered 503",
		base, during, float64(during)/float64(hash), hash, int(slots), hashed.Load(), unavailable.Load())
	// Its own hash, at most one hash until a slot frees, and the rest of
	// a login as on the idle gateway; one hash time of slack.
	if bound := base + 3*hash; during > bound {
		t.Errorf("during the flood the user's login took %v (median of %d), over %v (idle login %v + 3 hash times of %v): "+
			"it waited behind the flood instead of getting the next free slot", during, logins, bound, base, hash)
	}
}
