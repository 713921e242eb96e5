package main

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// target is one loopback site of the gateway process.
type target struct {
	name string
	port int
}

func (t target) url(path string) string { return fmt.Sprintf("http://127.0.0.1:%d%s", t.port, path) }

// run performs the whole benchmark and writes the report.
func run(ctx context.Context, o options) error {
	rep := &report{Opts: o, Machine: describeMachine(), Started: time.Now(), LoadStart: loadAverages(),
		CaddyVersion: caddyVersion(o.CaddyBin), WrkVersion: wrkVersion()}
	if err := os.MkdirAll(o.Work, 0o700); err != nil {
		return err
	}
	scripts, err := wrkScripts(o.Work)
	if err != nil {
		return err
	}
	keyFile := filepath.Join(o.Work, "signing-key.pem")
	key, err := newSigningKey(keyFile)
	if err != nil {
		return err
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))

	smallDB := filepath.Join(o.Work, fmt.Sprintf("accounts-%d.db", o.Small))
	largeDB := filepath.Join(o.Work, fmt.Sprintf("accounts-%d.db", o.Large))
	for _, ds := range []struct {
		path string
		n    int
	}{{smallDB, o.Small}, {largeDB, o.Large}} {
		t0 := time.Now()
		reused, err := seedSQLite(ctx, ds.path, ds.n, keyPEM)
		if err != nil {
			return fmt.Errorf("seed %s: %w", ds.path, err)
		}
		rep.Seeding = append(rep.Seeding, seedingNote(fmt.Sprintf("%d accounts (+1 template) with one session each", ds.n), reused, time.Since(t0)))
	}
	if !o.Keep {
		defer func() {
			for _, p := range []string{smallDB, largeDB} {
				for _, suffix := range []string{"", "-wal", "-shm"} {
					os.Remove(p + suffix)
				}
			}
		}()
	}
	gatewayEnv := benchEnv()
	pgBase := os.Getenv(envPostgresDSN)
	usePG := o.Postgres && pgBase != ""
	var pgSmallDSN, pgLargeDSN string
	if usePG {
		for _, ds := range []struct {
			dsn *string
			n   int
		}{{&pgSmallDSN, o.Small}, {&pgLargeDSN, o.Large}} {
			t0 := time.Now()
			name := fmt.Sprintf("pinauth_bench_%d", ds.n)
			var reused bool
			if *ds.dsn, reused, err = seedPostgres(ctx, pgBase, name, ds.n, keyPEM); err != nil {
				return fmt.Errorf("seed PostgreSQL: %w", err)
			}
			rep.Seeding = append(rep.Seeding, seedingNote(fmt.Sprintf("PostgreSQL %d accounts", ds.n), reused, time.Since(t0)))
			if !o.Keep {
				defer dropPostgres(context.Background(), pgBase, name)
			}
		}
		gatewayEnv = append(gatewayEnv, "BENCH_PG_SMALL="+pgSmallDSN, "BENCH_PG_LARGE="+pgLargeDSN)
	}
	basicHash, err := caddyHashPassword(o.CaddyBin, benchPass)
	if err != nil {
		return err
	}

	ports, err := freePorts(14)
	if err != nil {
		return err
	}
	up, auth := ports[0], ports[1]
	plain, pinSmall, pinLarge := target{"plain", ports[2]}, target{"pin-small", ports[3]}, target{"pin-large", ports[4]}
	basic, forward := target{"basic", ports[5]}, target{"forward", ports[6]}
	pgSmall, pgLarge := target{"pg-small", ports[9]}, target{"pg-large", ports[10]}
	plainHdr := target{"plain-headers", ports[11]}
	upSrv, err := serveLoopback(up, upstream())
	if err != nil {
		return err
	}
	defer upSrv.Close()

	sites := []siteSpec{
		{plain.port, proxySite(up)},
		{plainHdr.port, headersSite(up)},
		{pinSmall.port, pinAuthSite(up, "sqlite "+smallDB, keyFile)},
		{pinLarge.port, pinAuthSite(up, "sqlite "+largeDB, keyFile)},
		{basic.port, basicAuthSite(up, basicHash)},
		{forward.port, forwardAuthSite(up, auth)},
	}
	targets := []target{plain, plainHdr, pinSmall, pinLarge, basic, forward}
	if usePG {
		sites = append(sites, siteSpec{pgSmall.port, pinAuthSite(up, "postgres {env.BENCH_PG_SMALL}", keyFile)},
			siteSpec{pgLarge.port, pinAuthSite(up, "postgres {env.BENCH_PG_LARGE}", keyFile)})
		targets = append(targets, pgSmall, pgLarge)
	}
	caddyfile := caddyfileFor(0, sites)
	rep.Caddyfile = caddyfile
	log.Printf("starting Caddy (gateway process)")
	var ready []string
	for _, t := range targets {
		ready = append(ready, t.url("/"))
	}
	gw, err := startCaddy(ctx, o.CaddyBin, filepath.Join(o.Work, "caddy-gateway"), caddyfile, gatewayEnv, ready)
	if err != nil {
		return err
	}
	defer gw.stop()

	kid, err := fetchKid(pinSmall.url(""))
	if err != nil {
		return err
	}
	m, err := newMinter(keyPEM, kid)
	if err != nil {
		return err
	}
	warm, err := m.token(0, time.Now())
	if err != nil {
		return err
	}
	rep.TokenBytes = len(warm)
	authSrv, err := serveLoopback(auth, authEndpoint("Bearer "+warm, uidOf(0)))
	if err != nil {
		return err
	}
	defer authSrv.Close()

	threads := min(max(runtime.NumCPU(), 1), 4)
	log.Printf("minting cold-cache tokens")
	perRound := o.TokenRate * int(o.Duration.Seconds())
	perWarmup := o.TokenRate * max(1, int(o.Warmup.Seconds()))
	for _, ds := range []struct {
		name string
		n    int
	}{{"small", o.Small}, {"large", o.Large}} {
		rngs := make([]*rand.Rand, threads)
		for p := range rngs {
			rngs[p] = rand.New(rand.NewPCG(uint64(ds.n), uint64(p)))
		}
		pick := func(p, _ int) int { return rngs[p].IntN(ds.n) }
		if err := m.mintFiles(filepath.Join(o.Work, "cold-"+ds.name+"-w"), threads, perWarmup, pick); err != nil {
			return err
		}
		for r := range o.Rounds {
			if err := m.mintFiles(filepath.Join(o.Work, fmt.Sprintf("cold-%s-r%d", ds.name, r)), threads, perRound, pick); err != nil {
				return err
			}
		}
	}

	// UUID handles (rows 2u and 3u) of the small store's sessions.
	var handle string
	if o.Phases["proxy"] {
		log.Printf("storing access-token handles")
		if handle, err = storeHandles(ctx, smallDB, o, threads, perWarmup, perRound); err != nil {
			return err
		}
	}

	log.Printf("logging in sample accounts for PIN login")
	for _, ds := range []struct {
		name string
		t    target
		n    int
	}{{"small", pinSmall, o.Small}, {"large", pinLarge, o.Large}, {"pg-small", pgSmall, o.Small}, {"pg-large", pgLarge, o.Large}} {
		if strings.HasPrefix(ds.name, "pg-") && !usePG {
			continue
		}
		if err := pinSessionFiles(ds.t, filepath.Join(o.Work, "pin-"+ds.name), ds.n, threads, 16); err != nil {
			return err
		}
	}

	basicHeader := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(basicUser+":"+benchPass))
	bearer := "Authorization: Bearer " + warm
	if err := sanityChecks(plain, pinSmall, pinLarge, basic, forward, warm, m, o.Large, basicHeader); err != nil {
		return err
	}
	if err := sameIdentityHeaders(pinSmall, plainHdr, bearer); err != nil {
		return err
	}
	if handle != "" {
		if status, body, err := call("GET", pinSmall.url(appPath), nil, "Authorization: Bearer "+handle); err != nil || status != 200 || body != "uid="+uidOf(0)+"\n" {
			return fmt.Errorf("sanity check UUID handle: %d %q %v", status, body, err)
		}
	}
	if usePG {
		if err := sanityChecks(plain, pgSmall, pgLarge, basic, forward, warm, m, o.Large, basicHeader); err != nil {
			return fmt.Errorf("PostgreSQL: %w", err)
		}
	}

	static := func(t target, header string) wrkRun {
		return wrkRun{URL: t.url(appPath), Threads: threads, Connections: o.Connections, Duration: o.Duration,
			Script: scripts["static"], Headers: []string{header}}
	}
	cold := func(t target, name string) func(round int) wrkRun {
		return func(round int) wrkRun {
			prefix := filepath.Join(o.Work, fmt.Sprintf("cold-%s-r%d", name, round))
			if round < 0 {
				prefix = filepath.Join(o.Work, "cold-"+name+"-w")
			}
			return wrkRun{URL: t.url(appPath), Threads: threads, Connections: o.Connections, Duration: o.Duration,
				Script: scripts["tokens"], Args: []string{prefix}}
		}
	}
	loginThreads := min(threads, o.LoginConns)
	login := func(t target, name string) func(round int) wrkRun {
		return func(int) wrkRun {
			return wrkRun{URL: t.url("/"), Threads: loginThreads, Connections: o.LoginConns, Duration: o.LoginDuration,
				Script: scripts["pinlogin"], Args: []string{filepath.Join(o.Work, "pin-"+name),
					"/identity/v2/auth/login/pin?apikey=" + benchAPIKey + "&session_token=", benchPIN}}
		}
	}
	same := func(w wrkRun) func(int) wrkRun { return func(int) wrkRun { return w } }

	proxy := []*scenario{
		wrkScenario("1", "reverse_proxy (baseline)", same(static(plain, bearer)), o.Warmup),
		wrkScenario("2", "pin_auth, warm cache", same(static(pinSmall, bearer)), o.Warmup),
		wrkScenario("1h", "reverse_proxy + pin_auth's identity headers (header_up)", same(static(plainHdr, bearer)), o.Warmup),
		wrkScenario("3", fmt.Sprintf("pin_auth, cold cache (%s accounts)", count(o.Small)), cold(pinSmall, "small"), o.Warmup),
		wrkScenario("7p", fmt.Sprintf("pin_auth, cold cache (%s accounts)", count(o.Large)), cold(pinLarge, "large"), o.Warmup),
		wrkScenario("2u", "pin_auth, UUID access-token handle, warm cache", same(static(pinSmall, "Authorization: Bearer "+handle)), o.Warmup),
		wrkScenario("3u", fmt.Sprintf("pin_auth, UUID access-token handles, cold cache (%s accounts)", count(o.Small)), cold(pinSmall, "handle"), o.Warmup),
		wrkScenario("4", "basic_auth argon2id, hash cache", same(static(basic, basicHeader)), o.Warmup),
		wrkScenario("5", "forward_auth, trivial endpoint", same(static(forward, bearer)), o.Warmup),
	}
	if usePG {
		proxy = append(proxy,
			wrkScenario("3pg", fmt.Sprintf("PostgreSQL: pin_auth, cold cache (%s accounts)", count(o.Small)), cold(pgSmall, "small"), o.Warmup),
			wrkScenario("7ppg", fmt.Sprintf("PostgreSQL: pin_auth, cold cache (%s accounts)", count(o.Large)), cold(pgLarge, "large"), o.Warmup))
	}
	if o.Phases["proxy"] {
		rep.LoadProxy = loadAverages()
		if err := alternate(ctx, "proxy", proxy, o.Rounds); err != nil {
			return err
		}
		rep.Scenarios = append(rep.Scenarios, proxy...)
	}
	logins := []*scenario{
		wrkScenario("6", fmt.Sprintf("PIN login (%s accounts)", count(o.Small)), login(pinSmall, "small"), o.Warmup),
		wrkScenario("7l", fmt.Sprintf("PIN login (%s accounts)", count(o.Large)), login(pinLarge, "large"), o.Warmup),
		{
			Key: "6h", Name: "bare argon2id loop (hashing bound)",
			Command: fmt.Sprintf("in process: %d goroutines looping argon2.IDKey at hashing.DefaultParams (t=%d, m=%d KiB, p=%d) for %s",
				o.LoginConns, defaultHash().Time, defaultHash().MemoryKiB, defaultHash().Threads, o.LoginDuration),
			run: func(ctx context.Context, _ int) (sample, error) { return hashBound(ctx, o.LoginConns, o.LoginDuration) },
		},
	}
	if usePG {
		logins = append(logins,
			wrkScenario("6pg", fmt.Sprintf("PostgreSQL: PIN login (%s accounts)", count(o.Small)), login(pgSmall, "pg-small"), o.Warmup),
			wrkScenario("7lpg", fmt.Sprintf("PostgreSQL: PIN login (%s accounts)", count(o.Large)), login(pgLarge, "pg-large"), o.Warmup))
	}
	if o.Phases["login"] {
		rep.LoadLogin = loadAverages()
		if err := alternate(ctx, "login", logins, o.Rounds); err != nil {
			return err
		}
		rep.Scenarios = append(rep.Scenarios, logins...)
	}
	if o.Phases["store"] {
		reads, closeStores, err := storeScenarios(ctx, o, smallDB, largeDB, pgSmallDSN, pgLargeDSN)
		if err != nil {
			return err
		}
		err = alternate(ctx, "store", reads, o.Rounds)
		closeStores()
		if err != nil {
			return err
		}
		rep.Scenarios = append(rep.Scenarios, reads...)
	}
	if _, peak, err := procMemory(gw.pid()); err == nil {
		rep.GatewayPeakRSS = peak
	}
	if err := gw.stop(); err != nil {
		return err
	}

	if o.Phases["twonode"] {
		if pgBase == "" {
			log.Printf("twonode: skipped, it needs %s", envPostgresDSN)
		} else if err := twoNodeOnPostgres(ctx, o, rep, m, pgBase, keyPEM, keyFile, ports[12], ports[13], up); err != nil {
			return err
		}
	}
	if o.Phases["flood"] {
		if err := floodPhase(ctx, o, rep, m, largeDB, keyFile, ports[7], ports[8], up); err != nil {
			return err
		}
	}
	if o.Phases["restart"] {
		if err := restartPhase(ctx, o, rep, m, largeDB, keyFile, ports[7], ports[8], up); err != nil {
			return err
		}
	}
	if o.TestBin != "" && o.Phases["micro"] {
		if err := microPhase(ctx, o, rep); err != nil {
			return err
		}
	}
	rep.Finished = time.Now()
	rep.LoadEnd = loadAverages()
	fmt.Print(rep.table())
	if err := writeReport(o.Out, rep.markdown()); err != nil {
		return err
	}
	log.Printf("wrote %s", o.Out)
	return nil
}

// seedingNote says how a store came to be for the report.
func seedingNote(what string, reused bool, took time.Duration) string {
	if reused {
		return what + ": kept from an earlier run"
	}
	return fmt.Sprintf("%s: seeded in %.0fs", what, took.Seconds())
}
