package main

import "fmt"

// coldTargets judges the cold protected path against the baseline (issue
// 22): a token the gateway has not seen costs its signature check and is
// served from its claims, with no session or account read, so its
// throughput is a fraction of the baseline's set by that check alone.
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
		v = append(v, verdict{fmt.Sprintf("(%s)/(1) throughput, %s ≥ %.2f", c.key, c.what, c.min), fmt.Sprintf("%.3f (rounds: %s)", x, list(rr, "%.2f")), x >= c.min,
			pick(x >= c.min, "a cold token costs its signature check; its session and account come from its claims and the in-memory revocation and staleness sets",
				fmt.Sprintf("missed by %.3f: the token's EdDSA signature check (about 100 µs here, see BenchmarkVerifyUncachedEdDSA) costs about as much as Caddy's whole proxied request; the store reads are gone (compare the account counts), the signature is what is left", c.min-x))})
	}
	return v
}
