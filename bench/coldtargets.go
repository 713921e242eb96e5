package main

import "fmt"

// coldTargets judges the cold protected path against the baseline (issue
// 22): a token the gateway has not seen costs its gateway MAC, its
// signature's pin and its claims' decoding, and is served from its claims
// with no session or account read, so its throughput is a fraction of the
// baseline's set by that check alone.
func (r *report) coldTargets() []verdict {
	var v []verdict
	s1 := r.scen("1")
	if s1 == nil {
		return nil
	}
	large := count(r.Opts.Large)
	for _, c := range []struct {
		key, what string
		min       float64
	}{
		{"3", "cold tokens, 1k accounts", 0.8},
		{"7p", fmt.Sprintf("cold tokens, %s accounts", large), 0.75},
		{"3pg", "PostgreSQL: cold tokens, 1k accounts", 0.8},
		{"7ppg", fmt.Sprintf("PostgreSQL: cold tokens, %s accounts", large), 0.75},
	} {
		s := r.scen(c.key)
		if s == nil {
			continue
		}
		rr := ratios(s, s1, func(a, b sample) float64 { return a.RPS / b.RPS })
		x := medianOf(rr)
		v = append(v, verdict{fmt.Sprintf("(%s)/(1) throughput, %s ≥ %.2f", c.key, c.what, c.min), fmt.Sprintf("%s (rounds: %s)", ratioText(x, c.min), list(rr, "%.2f")), x >= c.min,
			pick(x >= c.min, "a cold token of the gateway's own is checked by its gateway MAC and its signature's pin, with no public-key operation; its session and account come from its claims and the in-memory revocation and staleness sets",
				fmt.Sprintf("missed by %.4f: what is left of a cold token is its MAC and signature-pin check and its claims' JSON decoding (BenchmarkVerifyUncachedEdDSAGatewayMAC, tens of µs), next to Caddy's whole proxied request; the store reads are gone (compare the account counts)", c.min-x))})
	}
	return v
}

// ratioText prints a ratio judged against min with three decimals, or
// with as many more as it takes (up to six) not to print min itself for a
// ratio below it.
func ratioText(x, min float64) string {
	for d := 3; ; d++ {
		t := fmt.Sprintf("%.*f", d, x)
		if x >= min || d == 6 || t != fmt.Sprintf("%.*f", d, min) {
			return t
		}
	}
}

// The reasons of the cold p50 rows (1M ÷ 1k accounts), on SQLite and on
// PostgreSQL alike: since issue 22 a cold token reads neither store.
const (
	coldFlatWhy = "a cold token is served from its claims (issue 22): its gateway MAC and signature pin are checked and " +
		"no session or account is read at any account count, so the work is the same at both counts"
	coldFlatMissed = "a cold token reads no session or account at either count (issue 22), so the gap is not the store's; " +
		"it is the round-to-round spread of the shared cores or a cold token that took the store path (a stale or suspect account, " +
		"a journal poll overdue)"
)
