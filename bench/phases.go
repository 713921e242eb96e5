package main

import (
	"context"
	"fmt"
	"log"
	"path/filepath"
	"runtime"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres"
	"github.com/pinauth/caddy-pinauth/pinauth/store/sqlite"
)

// storeScenarios opens the stores in this process (beside Caddy, as a
// second process may) and measures the reads of a fully uncached protected
// request against each. The PostgreSQL pair is added when its DSNs are set.
func storeScenarios(ctx context.Context, o options, smallDB, largeDB, pgSmall, pgLarge string) ([]*scenario, func(), error) {
	var opened []store.Store
	closeAll := func() {
		for _, st := range opened {
			st.Close()
		}
	}
	d := o.LoginDuration / 2
	mk := func(key, prefix string, st store.Store, n int) *scenario {
		return &scenario{
			Key: key, Name: fmt.Sprintf("%sstore reads, session + account (%s)", prefix, count(n)),
			Command: fmt.Sprintf("in process: %d goroutines, each op Store.Session(sid) then Store.Account(uid) of a random seeded account, for %s", o.LoginConns, d),
			warmup: func(ctx context.Context) error {
				_, err := storeReads(ctx, st, n, o.LoginConns, o.Warmup, 99)
				return err
			},
			run: func(ctx context.Context, round int) (sample, error) {
				return storeReads(ctx, st, n, o.LoginConns, d, uint64(round))
			},
		}
	}
	var out []*scenario
	for _, x := range []struct {
		key, path string
		n         int
	}{{"7s", smallDB, o.Small}, {"7S", largeDB, o.Large}} {
		st, err := sqlite.Open(x.path)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		opened = append(opened, st)
		out = append(out, mk(x.key, "", st, x.n))
	}
	if pgSmall != "" && pgLarge != "" {
		for _, x := range []struct {
			key, dsn string
			n        int
		}{{"7spg", pgSmall, o.Small}, {"7Spg", pgLarge, o.Large}} {
			st, err := postgres.Open(ctx, postgres.Config{DSN: x.dsn})
			if err != nil {
				closeAll()
				return nil, nil, err
			}
			opened = append(opened, st)
			out = append(out, mk(x.key, "PostgreSQL: ", st, x.n))
		}
	}
	return out, closeAll, nil
}

// wrkScenario measures a wrk run per round; round -1 is the warm-up.
func wrkScenario(key, name string, w func(round int) wrkRun, warmup time.Duration) *scenario {
	return &scenario{
		Key: key, Name: name, Command: w(0).display(),
		warmup: func(ctx context.Context) error {
			run := w(-1)
			run.Duration = warmup
			res, err := run.run(ctx)
			if err != nil {
				return err
			}
			_, err = res.sample()
			return err
		},
		run: func(ctx context.Context, round int) (sample, error) {
			res, err := w(round).run(ctx)
			if err != nil {
				return sample{}, err
			}
			return res.sample()
		},
	}
}

// floodPhase starts a fresh Caddy with only the large store's site and
// sends it o.Flood distinct valid tokens, one per account and session;
// with -flood-gomemlimit it does it again in another fresh Caddy whose Go
// runtime has that memory limit.
func floodPhase(ctx context.Context, o options, rep *report, m *minter, largeDB, keyFile string, port, adminPort, up int) error {
	log.Printf("flood: minting %d distinct tokens", o.Flood)
	tokens, err := m.mintAll(o.Flood, runtime.NumCPU(), func(j int) int { return j })
	if err != nil {
		return err
	}
	limits := []string{""}
	if o.FloodMemLimit != "" {
		limits = append(limits, o.FloodMemLimit)
	}
	rep.LoadFlood = loadAverages()
	for i, limit := range limits {
		sent := tokens
		if limit != "" && o.FloodLimited > 0 && o.FloodLimited < len(tokens) {
			sent = tokens[:o.FloodLimited]
		}
		res, err := floodOnce(ctx, o, sent, limit, largeDB, keyFile, port, adminPort, up, i)
		if err != nil {
			return err
		}
		rep.Floods = append(rep.Floods, res)
	}
	return nil
}

// floodOnce runs one flood against a fresh Caddy and reads its memory.
func floodOnce(ctx context.Context, o options, tokens []string, memLimit, largeDB, keyFile string, port, adminPort, up, n int) (*floodResult, error) {
	site := target{"flood", port}
	caddyfile := caddyfileFor(adminPort, []siteSpec{{port, pinAuthSite(up, "sqlite "+largeDB, keyFile)}})
	env := benchEnv()
	if memLimit != "" {
		env = append(env, "GOMEMLIMIT="+memLimit)
	}
	p, err := startCaddy(ctx, o.CaddyBin, filepath.Join(o.Work, fmt.Sprintf("caddy-flood-%d", n)), caddyfile, env, []string{site.url("/")})
	if err != nil {
		return nil, err
	}
	defer p.stop()
	log.Printf("flood: %d requests, %d connections, GOMEMLIMIT %q", len(tokens), o.Connections, memLimit)
	res, err := flood(ctx, site.url(appPath), tokens, o.Connections, p.pid())
	if err != nil {
		return nil, err
	}
	res.MemLimit = memLimit
	admin := fmt.Sprintf("http://127.0.0.1:%d", adminPort)
	if res.Mem, err = goMemStats(admin); err != nil {
		log.Printf("flood: reading Go memory statistics: %v", err)
	}
	heap := filepath.Join(o.Work, fmt.Sprintf("flood-%d-heap.pprof", n))
	if err := saveURL(admin+"/debug/pprof/heap", heap); err != nil {
		log.Printf("flood: heap profile: %v", err)
	} else {
		log.Printf("flood: heap profile in %s (go tool pprof -sample_index=inuse_space %s)", heap, heap)
	}
	log.Printf("flood: %d tokens in %.0fs, idle RSS %s, peak RSS %s", res.Tokens, res.Elapsed.Seconds(), mib(res.IdleRSS), mib(res.PeakRSS))
	return &res, p.stop()
}

// microPhase runs the Go benchmarks of the hot functions in rounds.
func microPhase(ctx context.Context, o options, rep *report) error {
	rep.MicroCommand = fmt.Sprintf("%s -test.run XXX -test.bench '%s' -test.benchmem -test.benchtime %s -test.count 1  (x%d rounds)",
		"pinauth.test", microBenchPattern, o.MicroTime, o.MicroRounds)
	rep.Micro = map[string][]microResult{}
	for r := range o.MicroRounds {
		res, err := runMicro(ctx, o.TestBin, o.TestDir, o.MicroTime)
		if err != nil {
			return err
		}
		for _, x := range res {
			rep.Micro[x.Name] = append(rep.Micro[x.Name], x)
			if r == 0 {
				rep.MicroOrder = append(rep.MicroOrder, x.Name)
			}
		}
		log.Printf("micro: round %d/%d done (load %.2f)", r+1, o.MicroRounds, loadAverage())
	}
	return nil
}

// count writes an account count as 1k, 100k, 1M.
func count(n int) string {
	switch {
	case n >= 1000000 && n%1000000 == 0:
		return itoa(n/1000000) + "M"
	case n >= 1000 && n%1000 == 0:
		return itoa(n/1000) + "k"
	}
	return itoa(n)
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
