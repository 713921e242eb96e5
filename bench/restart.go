package main

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"maps"
	"net/http"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// restartResult is a gateway restarted under load with live tokens (issue
// 22): how long until it serves at 90% of its warm rate again.
type restartResult struct {
	Tokens int
	// WarmRPS is the rate with every token cached, before the restart.
	WarmRPS float64
	// Down is from stopping Caddy until the new one answered.
	Down time.Duration
	// Recovered is from stopping Caddy until the first 250 ms window at
	// 90% of WarmRPS; 0 when it never came within the phase.
	Recovered time.Duration
	// FirstSecondRPS is the rate in the new Caddy's first second.
	FirstSecondRPS float64
	// StoreReads are the new Caddy's per-token store reads by operation
	// (its pinauth_store_operation_duration_seconds counts) until it was
	// back at 90%, and Served the requests it answered by then.
	StoreReads map[string]int64
	Served     int64
}

// restartWindow is the window the load's rate is sampled in.
const restartWindow = 250 * time.Millisecond

// restartPhase warms a Caddy on the large store with n live tokens, then
// restarts it while the load goes on, and measures the recovery.
func restartPhase(ctx context.Context, o options, rep *report, m *minter, largeDB, keyFile string, port, adminPort, up int) error {
	n := min(o.Large, 100000)
	if o.Quick {
		n = min(n, 20000)
	}
	log.Printf("restart: minting %d tokens", n)
	tokens, err := m.mintAll(n, runtime.NumCPU(), func(j int) int { return j })
	if err != nil {
		return err
	}
	site := target{"restart", port}
	caddyfile := caddyfileFor(adminPort, []siteSpec{{port, pinAuthSite(up, "sqlite "+largeDB, keyFile)}})
	start := func(i int) (*caddyProc, error) {
		return startCaddy(ctx, o.CaddyBin, filepath.Join(o.Work, fmt.Sprintf("caddy-restart-%d", i)), caddyfile, benchEnv(), []string{site.url("/")})
	}
	p, err := start(0)
	if err != nil {
		return err
	}
	// Every token once: the caches hold them all.
	if _, err := flood(ctx, site.url(appPath), tokens, o.Connections, p.pid()); err != nil {
		p.stop()
		return err
	}
	var ok atomic.Int64
	loadCtx, stopLoad := context.WithCancel(ctx)
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.Connections, MaxConnsPerHost: o.Connections}, Timeout: 10 * time.Second}
	var next atomic.Int64
	for range o.Connections {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for loadCtx.Err() == nil {
				// Failures (Caddy down, connections reset) are expected
				// around the restart: only successes count.
				if floodOne(client, site.url(appPath), tokens[int(next.Add(1)-1)%n]) == nil {
					ok.Add(1)
				}
			}
		}()
	}
	defer func() { stopLoad(); wg.Wait() }()
	warmFrom, warmStart := ok.Load(), time.Now()
	sleepCtx(ctx, 3*time.Second)
	res := &restartResult{Tokens: n, WarmRPS: float64(ok.Load()-warmFrom) / time.Since(warmStart).Seconds()}

	stopped := time.Now()
	if err := p.stop(); err != nil {
		return err
	}
	if p, err = start(1); err != nil {
		return err
	}
	defer p.stop()
	res.Down = time.Since(stopped)
	first := ok.Load()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); {
		before, t := ok.Load(), time.Now()
		sleepCtx(ctx, restartWindow)
		rate := float64(ok.Load()-before) / time.Since(t).Seconds()
		if res.FirstSecondRPS == 0 && time.Since(stopped)-res.Down >= time.Second {
			res.FirstSecondRPS = float64(ok.Load()-first) / (time.Since(stopped) - res.Down).Seconds()
		}
		if res.Recovered == 0 && rate >= 0.9*res.WarmRPS {
			res.Recovered = time.Since(stopped)
		}
		// Both measured: back at 90%, and the first second's rate.
		if res.Recovered > 0 && res.FirstSecondRPS > 0 {
			break
		}
	}
	res.Served = ok.Load() - first
	if res.StoreReads, err = storeOps(fmt.Sprintf("http://127.0.0.1:%d/metrics", adminPort)); err != nil {
		return fmt.Errorf("restart: counting store reads: %w", err)
	}
	log.Printf("restart: %d tokens, warm %.0f req/s, down %.1fs, back at 90%% after %.1fs, first second %.0f req/s; store reads %v for %d requests",
		n, res.WarmRPS, res.Down.Seconds(), res.Recovered.Seconds(), res.FirstSecondRPS, res.StoreReads, res.Served)
	rep.Restart = res
	return nil
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// storeOps reads a Caddy's metrics and returns how many store operations
// of each kind its gateways made (the count of
// pinauth_store_operation_duration_seconds by op; the journal's polls are
// not among them).
func storeOps(url string) (map[string]int64, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	const prefix = `pinauth_store_operation_duration_seconds_count{op="`
	out := map[string]int64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		op, rest, ok := strings.Cut(strings.TrimPrefix(sc.Text(), prefix), `"} `)
		if !ok || !strings.HasPrefix(sc.Text(), prefix) {
			continue
		}
		n, err := strconv.ParseFloat(rest, 64)
		if err != nil {
			return nil, fmt.Errorf("metrics line %q: %w", sc.Text(), err)
		}
		if n > 0 {
			out[op] = int64(n)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		// Every gateway reads its signing keys at start: none counted means
		// the metrics are not where this looked.
		return nil, fmt.Errorf("%s has no pinauth store operation counts", url)
	}
	return out, nil
}

// readsNote says what the restarted Caddy asked of the store.
func (x *restartResult) readsNote() string {
	perToken := x.StoreReads["session"] + x.StoreReads["account"] + x.StoreReads["token"] + x.StoreReads["account_by"]
	ops := make([]string, 0, len(x.StoreReads))
	for _, op := range slices.Sorted(maps.Keys(x.StoreReads)) {
		ops = append(ops, fmt.Sprintf("%s %d", op, x.StoreReads[op]))
	}
	return fmt.Sprintf("store reads by the new Caddy until then: %d session/account/token reads for %d requests (%s; the journal's polls, one at start and every 250 ms, are not counted)",
		perToken, x.Served, strings.Join(ops, ", "))
}
