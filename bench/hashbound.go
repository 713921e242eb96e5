package main

import (
	"context"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/pinauth/caddy-pinauth/pinauth/hashing"
)

// hashBound is the PIN login's ceiling: a bare argon2id loop at the
// gateway's default parameters, with as many goroutines as the login run
// has connections, for d. Nothing else runs in it (no HTTP, no store), so
// no login can beat it.
func hashBound(ctx context.Context, workers int, d time.Duration) (sample, error) {
	p := hashing.DefaultParams
	secret := []byte(benchPIN)
	salt := make([]byte, 16)
	var mu sync.Mutex
	var lat []time.Duration
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(deadline) && ctx.Err() == nil {
				t0 := time.Now()
				argon2.IDKey(secret, salt, p.Time, p.MemoryKiB, p.Threads, 32)
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return sample{}, err
	}
	return latencySample(lat, time.Since(start)), nil
}

// latencySample summarizes request latencies measured over elapsed.
func latencySample(lat []time.Duration, elapsed time.Duration) sample {
	ms := make([]float64, len(lat))
	for i, l := range lat {
		ms[i] = float64(l.Nanoseconds()) / 1e6
	}
	return sample{
		RPS:      float64(len(lat)) / elapsed.Seconds(),
		P50:      percentile(ms, 50),
		P99:      percentile(ms, 99),
		Requests: len(lat),
	}
}
