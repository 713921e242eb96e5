// Command bench is caddy-pinauth's load harness: in one run on loopback it
// measures, in alternating rounds, plain reverse_proxy against pin_auth
// (warm and cold token cache), basic_auth and forward_auth; PIN login
// against a bare argon2id loop; 1k against 1M accounts; and the peak RSS of
// Caddy under a flood of distinct tokens. It prints a table and writes
// BENCHMARKS.md. Run it through bench/run.sh, which builds Caddy and the
// benchmark binaries once.
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// options are the command-line flags.
type options struct {
	Quick         bool
	Rounds        int
	Duration      time.Duration
	LoginDuration time.Duration
	Warmup        time.Duration
	Small         int
	Large         int
	Flood         int
	Connections   int
	LoginConns    int
	TokenRate     int
	MicroRounds   int
	MicroTime     string

	CaddyBin string
	TestBin  string
	TestDir  string
	Work     string
	Out      string
	Commit   string
	Keep     bool
	Phases   map[string]bool

	FloodMemLimit string
	FloodLimited  int
	Postgres      bool
}

func parseFlags() options {
	var o options
	flag.BoolVar(&o.Quick, "quick", false, "short run for iteration: 3 rounds of 3s, 100k accounts instead of 1M")
	flag.IntVar(&o.Rounds, "rounds", 5, "alternating rounds per group (at least 3)")
	flag.DurationVar(&o.Duration, "duration", 10*time.Second, "length of one proxy round")
	flag.DurationVar(&o.LoginDuration, "login-duration", 10*time.Second, "length of one login round")
	flag.DurationVar(&o.Warmup, "warmup", 2*time.Second, "warm-up before the rounds, per scenario")
	flag.IntVar(&o.Small, "small", 1000, "accounts in the small store")
	flag.IntVar(&o.Large, "large", 1000000, "accounts in the large store")
	flag.IntVar(&o.Flood, "flood", 0, "distinct tokens in the memory flood (0: one per large-store account)")
	flag.IntVar(&o.Connections, "connections", 64, "wrk connections for the proxy scenarios")
	flag.IntVar(&o.LoginConns, "login-connections", runtime.NumCPU(), "connections for PIN login (the hashing semaphore's default capacity)")
	flag.IntVar(&o.TokenRate, "token-rate", 12000, "distinct tokens minted per second of a cold-cache round")
	flag.IntVar(&o.MicroRounds, "micro-rounds", 7, "rounds of the Go micro-benchmarks")
	flag.StringVar(&o.MicroTime, "micro-benchtime", "0.3s", "-test.benchtime of each micro-benchmark")
	flag.StringVar(&o.CaddyBin, "caddy", "", "Caddy binary built from ./cmd/caddy (required)")
	flag.StringVar(&o.TestBin, "pinauth-test", "", "test binary of ./pinauth (go test -c); empty skips the micro-benchmarks")
	flag.StringVar(&o.TestDir, "pinauth-dir", "pinauth", "directory the pinauth test binary runs in")
	flag.StringVar(&o.Work, "work", "", "work directory for stores, tokens and Caddy (required)")
	flag.StringVar(&o.Out, "out", "BENCHMARKS.md", "report file")
	flag.StringVar(&o.Commit, "commit", "", "commit being measured, for the report")
	flag.BoolVar(&o.Keep, "keep", false, "keep the seeded stores in the work directory for the next run")
	flag.StringVar(&o.FloodMemLimit, "flood-gomemlimit", "128MiB", "also flood a Caddy with this GOMEMLIMIT (empty: only the one with Go's default GC)")
	flag.IntVar(&o.FloodLimited, "flood-gomemlimit-tokens", 300000, "tokens of the GOMEMLIMIT flood (the caches fill within the first 100k; the full count is the default-GC flood's)")
	flag.BoolVar(&o.Postgres, "postgres", true, "with "+envPostgresDSN+" set, also measure the account-count scenarios on PostgreSQL")
	phases := flag.String("phases", "proxy,login,store,twonode,flood,restart,micro", "phases to run (for iteration; the report judges what ran)")
	flag.Parse()
	o.Phases = map[string]bool{}
	for _, p := range strings.Split(*phases, ",") {
		o.Phases[strings.TrimSpace(p)] = true
	}
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.Quick {
		quick := map[string]func(){
			"rounds":          func() { o.Rounds = 3 },
			"duration":        func() { o.Duration = 3 * time.Second },
			"login-duration":  func() { o.LoginDuration = 3 * time.Second },
			"warmup":          func() { o.Warmup = time.Second },
			"large":           func() { o.Large = 100000 },
			"micro-rounds":    func() { o.MicroRounds = 3 },
			"micro-benchtime": func() { o.MicroTime = "0.1s" },
		}
		for name, apply := range quick {
			if !set[name] {
				apply()
			}
		}
	}
	if o.Flood <= 0 || o.Flood > o.Large {
		o.Flood = o.Large
	}
	if o.Rounds < 3 {
		log.Fatal("bench: -rounds must be at least 3")
	}
	if o.CaddyBin == "" || o.Work == "" {
		log.Fatal("bench: -caddy and -work are required (use bench/run.sh)")
	}
	return o
}

func itoa(i int) string { return strconv.Itoa(i) }

func main() {
	log.SetFlags(log.Ltime)
	o := parseFlags()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		log.Fatalf("bench: %v", err)
	}
}
