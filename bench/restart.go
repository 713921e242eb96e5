package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"path/filepath"
	"runtime"
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
		if rate >= 0.9*res.WarmRPS {
			res.Recovered = time.Since(stopped)
			break
		}
	}
	log.Printf("restart: %d tokens, warm %.0f req/s, down %.1fs, back at 90%% after %.1fs, first second %.0f req/s",
		n, res.WarmRPS, res.Down.Seconds(), res.Recovered.Seconds(), res.FirstSecondRPS)
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
