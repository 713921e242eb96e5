package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// storeReads measures what a protected request whose token, session and
// profile are all uncached asks of the store: the session by id, then the
// account by uid, for random seeded accounts of n, from workers goroutines
// for d. It isolates the store's own cost from the cache's hit rate, which
// differs between a store the cache can hold and one it cannot.
func storeReads(ctx context.Context, st store.Store, n, workers int, d time.Duration, seed uint64) (sample, error) {
	var mu sync.Mutex
	var lat []time.Duration
	var firstErr error
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			var mine []time.Duration
			var err error
			for err == nil && time.Now().Before(deadline) && ctx.Err() == nil {
				i := rng.IntN(n)
				t0 := time.Now()
				err = readOne(ctx, st, i)
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			if err != nil && firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return sample{}, firstErr
	}
	if err := ctx.Err(); err != nil {
		return sample{}, err
	}
	return latencySample(lat, time.Since(start)), nil
}

func readOne(ctx context.Context, st store.Store, i int) error {
	s, found, err := st.Session(ctx, sidOf(i))
	if err != nil || !found || s.UID != uidOf(i) {
		return fmt.Errorf("session of account %d: found %v, %v", i, found, err)
	}
	a, found, err := st.Account(ctx, benchTenant, uidOf(i))
	if err != nil || !found || !a.Active {
		return fmt.Errorf("account %d: found %v, %v", i, found, err)
	}
	return nil
}
