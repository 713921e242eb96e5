package main

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"
)

// report gathers everything BENCHMARKS.md says.
type report struct {
	Opts         options
	Machine      machine
	Started      time.Time
	Finished     time.Time
	CaddyVersion string
	WrkVersion   string
	Caddyfile    string
	Seeding      []string

	LoadStart, LoadProxy, LoadLogin, LoadFlood, LoadEnd string

	Scenarios      []*scenario
	GatewayPeakRSS int64
	Floods         []*floodResult
	Restart        *restartResult
	TwoNode        *twoNodeResult
	// TokenBytes is the length of the warm access token (every minted
	// token has the same length: same claims, same-length values).
	TokenBytes int

	MicroCommand string
	MicroOrder   []string
	Micro        map[string][]microResult
}

func (r *report) scen(key string) *scenario {
	for _, s := range r.Scenarios {
		if s.Key == key {
			return s
		}
	}
	return nil
}

// verdict is one target of design.md §9 / issue 10, judged.
type verdict struct {
	Target   string
	Measured string
	Met      bool
	Why      string
}

func rps(x sample) float64 { return x.RPS }

// targets judges every target from this run's numbers. Ratios are taken
// round by round (neighbouring measurements share the machine's load),
// then the median is judged.
func (r *report) targets() []verdict {
	var v []verdict
	s1, s2, s3, s4, s5 := r.scen("1"), r.scen("2"), r.scen("3"), r.scen("4"), r.scen("5")
	s6, s6h, s7l, s7p := r.scen("6"), r.scen("6h"), r.scen("7l"), r.scen("7p")
	large := count(r.Opts.Large)
	ratio := func(a, b *scenario, f func(x, y sample) float64) float64 { return medianOf(ratios(a, b, f)) }

	if s1 != nil && s2 != nil {
		rr := ratios(s2, s1, func(a, b sample) float64 { return a.RPS / b.RPS })
		thr := medianOf(rr)
		headers := ""
		if s1h := r.scen("1h"); s1h != nil {
			hr := ratios(s1h, s1, func(a, b sample) float64 { return a.RPS / b.RPS })
			headers = fmt.Sprintf("; the baseline forwarding the same six identity headers (1h) runs at %.3f of (1): that is what the headers cost reverse_proxy (which encodes every upstream request header into its request logger) and the upstream, see the next row", medianOf(hr))
		}
		v = append(v, verdict{"(2)/(1) throughput ≥ 0.95", fmt.Sprintf("%.3f (rounds: %s)", thr, list(rr, "%.2f")), thr >= 0.95,
			pick(thr >= 0.95, "the cached path (header strip and set, two cache lookups, lazy placeholders) is small next to Caddy's own per-request cost",
				fmt.Sprintf("missed by %.3f. Round-to-round ratios spread over %.2f–%.2f on this shared machine; "+
					"profiles of Caddy under this load put pin_auth's own work (Handle and placeholders) at 2–3%% of the process's CPU%s", 0.95-thr, minOf(rr), maxOf(rr), headers))})
		if s1h := r.scen("1h"); s1h != nil {
			hr := ratios(s2, s1h, func(a, b sample) float64 { return a.RPS / b.RPS })
			x := medianOf(hr)
			v = append(v, verdict{"(2)/(1h) throughput ≥ 0.95: the gate alone, against a baseline forwarding the same identity headers", fmt.Sprintf("%.3f (rounds: %s)", x, list(hr, "%.2f")), x >= 0.95,
				pick(x >= 0.95, "with the headers' own cost on both sides, what is left is the gate: header strip, two cache lookups, lazy placeholders",
					fmt.Sprintf("missed by %.3f; round-to-round ratios spread over %.2f–%.2f", 0.95-x, minOf(hr), maxOf(hr)))})
		}
		dd := ratios(s2, s1, func(a, b sample) float64 { return a.P99 - b.P99 })
		dp99 := medianOf(dd)
		v = append(v, verdict{"(2) p99 − (1) p99 ≤ +0.2 ms", fmt.Sprintf("%+.3f ms (rounds: %s)", dp99, list(dd, "%+.1f")), dp99 <= 0.2,
			pick(dp99 <= 0.2, "tail latency is set by scheduling on the shared cores, not by the gate",
				fmt.Sprintf("missed by %.3f ms: at 64 connections on 2 shared cores p99 is queueing behind other processes, tens of milliseconds either way from round to round", dp99-0.2))})
	}
	for _, other := range []*scenario{s4, s5} {
		if s2 == nil || other == nil {
			continue
		}
		rr := ratios(s2, other, func(a, b sample) float64 { return a.RPS / b.RPS })
		x := medianOf(rr)
		v = append(v, verdict{fmt.Sprintf("(2) faster than (%s) %s", other.Key, other.Name), fmt.Sprintf("%.2f× (rounds: %s)", x, list(rr, "%.2f")), x > 1,
			pick(x > 1, pick(other.Key == "5", "forward_auth pays a second HTTP round trip per request", "basic_auth's hash cache is a map lookup too, so this one is close"),
				fmt.Sprintf("not in this run: the two are within the round-to-round spread (%.2f–%.2f)%s", minOf(rr), maxOf(rr),
					pick(other.Key == "4", "; basic_auth with its hash cache is a map lookup as well (design §9 measured it at 1.0× of the baseline)", "")))})
	}
	if s6 != nil && s6h != nil {
		bound := ratio(s6, s6h, func(a, b sample) float64 { return a.RPS / b.RPS })
		v = append(v, verdict{"(6) PIN login ≥ 0.75 of the hashing bound", fmt.Sprintf("%.3f", bound), bound >= 0.75,
			pick(bound >= 0.75, "argon2id dominates a PIN login; the rest (two store transactions, JWT signing, JSON) is a few per cent",
				fmt.Sprintf("missed by %.1f%% of the bound", (0.75-bound)*100))})
		tail := median(s6.Samples, func(x sample) float64 { return x.P99 / x.P50 })
		v = append(v, verdict{fmt.Sprintf("(6) PIN login p99 < 2× p50 at %d connections (design §9)", r.Opts.LoginConns), fmt.Sprintf("%.2f×", tail), tail < 2,
			pick(tail < 2, "at the semaphore's capacity no login waits for a hashing slot",
				fmt.Sprintf("other processes on the shared cores stretch individual hashes: the bare argon2id loop's own p99/p50 in the same rounds is %.2f×",
					median(s6h.Samples, func(x sample) float64 { return x.P99 / x.P50 })))})
	}
	if s6 != nil && s7l != nil {
		rr := ratios(s7l, s6, func(a, b sample) float64 { return a.P50 / b.P50 })
		login := medianOf(rr)
		v = append(v, verdict{fmt.Sprintf("(7) PIN login p50, %s ÷ 1k accounts ≤ 1.2", large), fmt.Sprintf("%.3f (rounds: %s)", login, list(rr, "%.2f")), login <= 1.2,
			pick(login <= 1.2, "index lookups (token, account, attempts) grow with log n and are dwarfed by the hash",
				"a login's store work (about a millisecond) is dwarfed by the hash, so the gap is the hash's own round-to-round spread on the shared cores")})
	}
	if s3 != nil && s7p != nil {
		prot := ratio(s7p, s3, func(a, b sample) float64 { return a.P50 / b.P50 })
		v = append(v, verdict{fmt.Sprintf("(7) protected request p50 (cold tokens), %s ÷ 1k accounts ≤ 1.2", large), fmt.Sprintf("%.3f", prot), prot <= 1.2,
			pick(prot <= 1.2, coldFlatWhy,
				fmt.Sprintf("missed (%.2f over): "+coldFlatMissed, prot-1.2))})
	}
	if s7s, s7S := r.scen("7s"), r.scen("7S"); s7s != nil && s7S != nil {
		x := ratio(s7S, s7s, func(a, b sample) float64 { return a.P50 / b.P50 })
		us := ratio(s7S, s7s, func(a, b sample) float64 { return (a.P50 - b.P50) * 1000 })
		v = append(v, verdict{fmt.Sprintf("(7) store reads of an uncached request (session + account) p50, %s ÷ 1k accounts ≤ 1.2", large),
			fmt.Sprintf("%.3f (%+.0f µs)", x, us), x <= 1.2,
			pick(x <= 1.2, "primary-key lookups: one more B-tree level at the large count",
				fmt.Sprintf("missed (%.2f over), by %.0f µs a request: the same primary-key lookups, one B-tree level deeper, but the large file no longer fits SQLite's page cache (about 2 MB a connection), so most pages come from the OS page cache through a system call each, where the 1k store is read from memory", x-1.2, us))})
	}
	if a, b := r.scen("6pg"), r.scen("7lpg"); a != nil && b != nil {
		rr := ratios(b, a, func(a, b sample) float64 { return a.P50 / b.P50 })
		x := medianOf(rr)
		v = append(v, verdict{fmt.Sprintf("(7) PostgreSQL: PIN login p50, %s ÷ 1k accounts ≤ 1.2", large), fmt.Sprintf("%.3f (rounds: %s)", x, list(rr, "%.2f")), x <= 1.2,
			pick(x <= 1.2, "indexed lookups, dwarfed by the hash",
				"a login's store work (about a millisecond) is dwarfed by the hash, so the gap is the hash's own round-to-round spread on the shared cores")})
	}
	if a, b := r.scen("3pg"), r.scen("7ppg"); a != nil && b != nil {
		x := ratio(b, a, func(a, b sample) float64 { return a.P50 / b.P50 })
		v = append(v, verdict{fmt.Sprintf("(7) PostgreSQL: protected request p50 (cold tokens), %s ÷ 1k accounts ≤ 1.2", large), fmt.Sprintf("%.3f", x), x <= 1.2,
			pick(x <= 1.2, coldFlatWhy,
				fmt.Sprintf("missed (%.2f over): "+coldFlatMissed, x-1.2))})
	}
	if a, b := r.scen("7spg"), r.scen("7Spg"); a != nil && b != nil {
		x := ratio(b, a, func(a, b sample) float64 { return a.P50 / b.P50 })
		us := ratio(b, a, func(a, b sample) float64 { return (a.P50 - b.P50) * 1000 })
		v = append(v, verdict{fmt.Sprintf("(7) PostgreSQL: store reads of an uncached request p50, %s ÷ 1k accounts ≤ 1.2", large), fmt.Sprintf("%.3f (%+.0f µs)", x, us), x <= 1.2,
			pick(x <= 1.2, "primary-key lookups behind a round trip: depth barely matters",
				fmt.Sprintf("missed (%.2f over), by %.0f µs a request: the same index lookups, but the large tables and indexes outgrow PostgreSQL's shared buffers, so pages come from the OS page cache, where the 1k database stays in shared buffers", x-1.2, us))})
	}
	v = append(v, r.coldTargets()...)
	v = append(v, r.uuidTargets()...)
	if r.TwoNode != nil {
		v = append(v, r.TwoNode.verdicts()...)
	}
	for _, f := range r.Floods {
		budget := int64(cacheSizeMiB+150) << 20
		ok := f.PeakRSS <= budget
		why := "ristretto evicts by cost and every entry is charged what it holds, so the caches stay within their budget however many tokens arrive"
		if !ok {
			why = fmt.Sprintf("over by %s. The caches stay within their budget (the live heap after the flood is %s, Caddy's own included), "+
				"but with Go's default GOGC=100 the heap grows to about twice the live data before each collection, on top of Caddy's idle %s; "+
				"a GOMEMLIMIT bounds that growth", mib(f.PeakRSS-budget), mib(int64(f.Mem.HeapAlloc)), mib(f.IdleRSS))
			if f.Mem.NextGC > 0 {
				why = fmt.Sprintf("over by %s. The caches stay within their budget, but with Go's default GOGC=100 the heap grows to about twice "+
					"the live data before each collection (next GC at %s when the flood ended), on top of Caddy's idle %s; a GOMEMLIMIT bounds that growth",
					mib(f.PeakRSS-budget), mib(int64(f.Mem.NextGC)), mib(f.IdleRSS))
			}
		}
		v = append(v, verdict{fmt.Sprintf("(8) peak RSS under %s distinct tokens ≤ cache budget (%d MiB) + 150 MiB, %s",
			count(f.Tokens), cacheSizeMiB, f.label()),
			fmt.Sprintf("%s (idle %s)", mib(f.PeakRSS), mib(f.IdleRSS)), ok, why})
	}
	if len(r.Micro) > 0 {
		cached := medianMicro(r.Micro["BenchmarkVerifyCachedEdDSA"], func(x microResult) float64 { return x.NsPerOp })
		allocs := medianMicro(r.Micro["BenchmarkVerifyCachedEdDSA"], func(x microResult) float64 { return x.Allocs })
		v = append(v, verdict{"cached verification < 1 µs, 0 allocs", fmt.Sprintf("%.0f ns, %.0f allocs", cached, allocs), cached < 1000 && allocs == 0,
			pick(cached < 1000 && allocs == 0, "a ristretto hit for the token, a constant-time compare, a revocation map lookup and a ristretto hit for the profile", "")})
		if len(r.Micro["BenchmarkAuthRequestCached"]) > 0 {
			// Throughput is the inverse of ns/op: the endpoint's over the
			// protected path's is the protected path's time over the
			// endpoint's.
			ar := r.microRatio("BenchmarkProtectedRequestCached", "BenchmarkAuthRequestCached")
			v = append(v, verdict{"auth-request endpoint throughput ≥ 0.9× the protected path (same token, warm cache)", fmt.Sprintf("%.3f×", ar), ar >= 0.9,
				pick(ar >= 0.9, "the same cache hits; the endpoint writes the identity headers on its answer and skips the request-side work (header strip, query and Connection guards)",
					"missed: see BenchmarkAuthRequestCached's allocations")})
		}
		un := r.microRatio("BenchmarkVerifyUncachedEdDSA", "BenchmarkBareJWTEdDSA")
		v = append(v, verdict{"uncached EdDSA verification ≤ 1.2× bare golang-jwt", fmt.Sprintf("%.3f×", un), un <= 1.2,
			pick(un <= 1.2, "the signature check dominates; claims checks, the session-state cache hit and the cache insert add little",
				fmt.Sprintf("missed by %.0f%%: beyond the bare parse the gateway checks iss, aud and iat, the session state, and inserts the verified token into the cache", (un-1.2)*100))})
	}
	return v
}

// list formats numbers for a table cell.
func list(v []float64, format string) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprintf(format, x)
	}
	return strings.Join(parts, ", ")
}

func minOf(v []float64) float64 { return slices.Min(v) }
func maxOf(v []float64) float64 { return slices.Max(v) }

func pick(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}

// microRatio is the median over rounds of a's ns/op divided by b's.
func (r *report) microRatio(a, b string) float64 {
	xs, ys := r.Micro[a], r.Micro[b]
	n := min(len(xs), len(ys))
	v := make([]float64, n)
	for i := range n {
		v[i] = xs[i].NsPerOp / ys[i].NsPerOp
	}
	return medianOf(v)
}

func medianMicro(xs []microResult, f func(microResult) float64) float64 { return median(xs, f) }

// table is the plain-text summary printed at the end of a run.
func (r *report) table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-5s %-52s %10s %9s %9s  %s\n", "#", "scenario", "req/s", "p50 ms", "p99 ms", "req/s per round")
	for _, s := range r.Scenarios {
		m := s.median()
		var per []string
		for _, x := range s.Samples {
			per = append(per, fmt.Sprintf("%.0f", x.RPS))
		}
		fmt.Fprintf(&b, "%-5s %-52s %10.0f %9.3f %9.3f  %s\n", s.Key, s.Name, m.RPS, m.P50, m.P99, strings.Join(per, " "))
	}
	for _, f := range r.Floods {
		fmt.Fprintf(&b, "8    flood: %d distinct tokens in %.0fs (%.0f req/s), %s: Caddy RSS idle %s, peak %s\n",
			f.Tokens, f.Elapsed.Seconds(), float64(f.Tokens)/f.Elapsed.Seconds(), f.label(), mib(f.IdleRSS), mib(f.PeakRSS))
	}
	for _, name := range r.MicroOrder {
		xs := r.Micro[name]
		fmt.Fprintf(&b, "     %-40s %10.0f ns/op %6.0f B/op %4.0f allocs/op\n", name,
			medianMicro(xs, func(x microResult) float64 { return x.NsPerOp }),
			medianMicro(xs, func(x microResult) float64 { return x.BPerOp }),
			medianMicro(xs, func(x microResult) float64 { return x.Allocs }))
	}
	b.WriteString("\ntargets:\n")
	for _, t := range r.targets() {
		fmt.Fprintf(&b, "  %-6s %-75s %s\n", pick(t.Met, "met", "MISSED"), t.Target, t.Measured)
	}
	fmt.Fprintf(&b, "\nload average (1/5/15 min): start %s, end %s\n", r.LoadStart, r.LoadEnd)
	return b.String()
}

// markdown renders BENCHMARKS.md.
func (r *report) markdown() string {
	var b strings.Builder
	o := r.Opts
	mode := "full"
	if o.Quick {
		mode = "quick (--quick: fewer, shorter rounds and a smaller large store; not the numbers to quote)"
	}
	b.WriteString("# Benchmarks\n\n")
	b.WriteString("Written by `bench/run.sh`; do not edit by hand, run it again. The sections after the generated part (below the\n" +
		"HTML comment \"kept by bench/run.sh\") are written by hand and copied unchanged by every run. Every generated number comes from one run on\n" +
		"loopback, in alternating rounds (A B C … A B C …), reported as medians; targets are judged on ratios taken\n" +
		"round by round, so drift in the machine's load hits both sides of a ratio alike.\n\n")
	fmt.Fprintf(&b, "- Run: %s → %s (%.0f min), mode %s, commit `%s`\n", r.Started.UTC().Format(time.RFC3339),
		r.Finished.UTC().Format(time.RFC3339), r.Finished.Sub(r.Started).Minutes(), mode, o.Commit)
	fmt.Fprintf(&b, "- Machine: %s, %d cores, %s RAM, %s\n", r.Machine.CPU, r.Machine.Cores, r.Machine.Memory, r.Machine.Kernel)
	fmt.Fprintf(&b, "- Versions: %s; Caddy %s; %s\n", runtime.Version(), r.CaddyVersion, r.WrkVersion)
	fmt.Fprintf(&b, "- Load average (1/5/15 min): start %s; proxy rounds %s; login rounds %s; flood %s; end %s. "+
		"The machine is shared with other builds, so absolute numbers are noisy: trust the ratios.\n",
		r.LoadStart, r.LoadProxy, r.LoadLogin, r.LoadFlood, r.LoadEnd)
	fmt.Fprintf(&b, "- Rounds: %d × %s (proxy), %d × %s (login), warm-up %s per scenario; wrk with %d connections "+
		"(PIN login: %d, the hashing semaphore's default capacity)\n",
		o.Rounds, o.Duration, o.Rounds, o.LoginDuration, o.Warmup, o.Connections, o.LoginConns)
	fmt.Fprintf(&b, "- Stores (seeded through the store API, on PostgreSQL the first 1000 accounts and the rest cloned from account 0 in SQL; SQLite unless marked PostgreSQL): %s\n\n", strings.Join(r.Seeding, "; "))

	b.WriteString("## Results\n\n| # | scenario | req/s | p50 ms | p99 ms | req/s per round |\n|---|---|---:|---:|---:|---|\n")
	for _, s := range r.Scenarios {
		m := s.median()
		var per []string
		for _, x := range s.Samples {
			per = append(per, fmt.Sprintf("%.0f", x.RPS))
		}
		fmt.Fprintf(&b, "| %s | %s | %.0f | %.3f | %.3f | %s |\n", s.Key, s.Name, m.RPS, m.P50, m.P99, strings.Join(per, ", "))
	}
	for _, f := range r.Floods {
		fmt.Fprintf(&b, "| 8 | flood: %d distinct valid tokens, cache budget %d MiB, %s | %.0f | | | Caddy RSS idle %s, peak (VmHWM) %s |\n",
			f.Tokens, cacheSizeMiB, f.label(), float64(f.Tokens)/f.Elapsed.Seconds(), mib(f.IdleRSS), mib(f.PeakRSS))
	}
	if x := r.Restart; x != nil {
		back := "not within 60 s"
		if x.Recovered > 0 {
			back = fmt.Sprintf("90%% of warm %.1f s after the stop", x.Recovered.Seconds())
		}
		fmt.Fprintf(&b, "| 9 | restart: Caddy restarted under load with %d live tokens (large store) | %.0f | | | warm %.0f req/s; down %.1f s; %s; %s |\n",
			x.Tokens, x.FirstSecondRPS, x.WarmRPS, x.Down.Seconds(), back, x.readsNote())
	}
	if r.TwoNode != nil {
		b.WriteString(r.TwoNode.markdown())
	}
	for _, f := range r.Floods {
		if m := f.Mem; m.Sys > 0 {
			fmt.Fprintf(&b, "\nAfter the flood with %s, Caddy's Go runtime reported: heap allocated %s, in use %s, idle %s (released to the OS %s), "+
				"next GC at %s, %s obtained from the OS in all, %d GCs.\n", f.label(),
				mib(int64(m.HeapAlloc)), mib(int64(m.HeapInuse)), mib(int64(m.HeapIdle)), mib(int64(m.HeapReleased)),
				mib(int64(m.NextGC)), mib(int64(m.Sys)), m.NumGC)
		}
	}
	if r.TokenBytes > 0 {
		fmt.Fprintf(&b, "\nAccess tokens as the gateway issues them (an email, a two-word name, one role) are %d bytes.\n", r.TokenBytes)
	}
	if r.GatewayPeakRSS > 0 {
		fmt.Fprintf(&b, "\nThe gateway process of the rounds above (two pin_auth stores, %d MiB cache budget each) peaked at %s RSS.\n",
			cacheSizeMiB, mib(r.GatewayPeakRSS))
	}

	b.WriteString("\n## Targets\n\n| target | measured | met | why |\n|---|---|---|---|\n")
	for _, t := range r.targets() {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", t.Target, t.Measured, pick(t.Met, "yes", "**no**"), t.Why)
	}

	if len(r.MicroOrder) > 0 {
		fmt.Fprintf(&b, "\n## Go benchmarks of the hot functions\n\nMedians of %d alternating rounds of `%s`.\n\n", o.MicroRounds, r.MicroCommand)
		b.WriteString("| benchmark | ns/op | B/op | allocs/op | ns/op per round |\n|---|---:|---:|---:|---|\n")
		for _, name := range r.MicroOrder {
			xs := r.Micro[name]
			var per []string
			for _, x := range xs {
				per = append(per, fmt.Sprintf("%.0f", x.NsPerOp))
			}
			fmt.Fprintf(&b, "| %s | %.0f | %.0f | %.0f | %s |\n", name,
				medianMicro(xs, func(x microResult) float64 { return x.NsPerOp }),
				medianMicro(xs, func(x microResult) float64 { return x.BPerOp }),
				medianMicro(xs, func(x microResult) float64 { return x.Allocs }), strings.Join(per, ", "))
		}
	}

	b.WriteString("\n## What each scenario does\n\n")
	b.WriteString("- The upstream is a small Go HTTP server in the bench process (200, a one-line body). Every site runs in one Caddy\n" +
		"  process built from `./cmd/caddy`, bound to 127.0.0.1; the baseline, warm pin_auth and forward_auth send the same\n" +
		"  `Authorization: Bearer` header, so request sizes match. (1h) is the baseline with `header_up` adding the six\n" +
		"  identity headers pin_auth forwards for the warm token, same names and values (checked before the rounds), so the\n" +
		"  gate's own cost can be told from the cost of forwarding those headers.\n")
	b.WriteString("- pin_auth uses an operator `signing_key` (EdDSA) so the bench can mint access tokens itself: same key, same claims as\n" +
		"  the gateway's own, each naming a real seeded session. Cold rounds send every token once (a fresh file per round);\n" +
		"  a round whose token pool ran out would fail rather than measure cache hits.\n")
	b.WriteString("- Accounts are written through the store API in batched transactions, copying one template account that the gateway\n" +
		"  created through its management API (so every password and PIN hash is a real one at the default cost).\n")
	b.WriteString("- PIN login uses session tokens from real password logins of accounts spread over the store; each wrk thread has its\n" +
		"  own accounts. The hashing bound is a bare argon2id loop at the same parameters and concurrency.\n")
	b.WriteString("- With PINAUTH_TEST_POSTGRES_DSN set, the account-count scenarios also run on PostgreSQL (rows marked so): the bench\n" +
		"  creates databases of its own on that server, seeds them the same way and points two more pin_auth sites at them.\n")
	b.WriteString("- UUID handles (2u, 3u) are stored in the small store as the gateway stores the handles it issues (hash, session,\n" +
		"  account, lifetime); a cold handle is read from the store once per node and a JWT is signed for the upstream.\n")
	b.WriteString("- Two nodes (10, PostgreSQL) are two more Caddy processes on the small database: a Go client loads node B with live\n" +
		"  tokens; in each round B's rate is taken without logouts, then while 4 clients each serve a token of a session of\n" +
		"  its own on B, log it out on A and ask B again until B refuses it (the delay, from sending the logout).\n" +
		"  B's rate with logouts counts those requests too. The restart row counts the new Caddy's store operations.\n")
	b.WriteString("- The flood starts a fresh Caddy with only the large store's site and sends every token once (one per account and\n" +
		"  session) from a Go client; peak RSS is the kernel's VmHWM of the Caddy process.\n")
	b.WriteString("\n## Commands\n\n```\n")
	for _, s := range r.Scenarios {
		fmt.Fprintf(&b, "# (%s) %s\n%s\n", s.Key, s.Name, s.Command)
	}
	for _, f := range r.Floods {
		fmt.Fprintf(&b, "# (8) flood, %s\nGo client: %d keep-alive connections, each of %d tokens sent once, GET %s\n", f.label(), o.Connections, f.Tokens, appPath)
	}
	b.WriteString("```\n\nReproduce with `bash bench/run.sh` (or `bash bench/run.sh --quick` while iterating).\n\n")
	b.WriteString("## Caddyfile of the gateway process\n\nSecrets come from the environment; the flood process runs the large store's site alone.\n\n```\n")
	b.WriteString(r.Caddyfile)
	b.WriteString("```\n")
	return b.String()
}
