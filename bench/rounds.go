package main

import (
	"context"
	"fmt"
	"log"
	"slices"
	"time"
)

// sample is one round of one scenario. Latencies are in milliseconds.
type sample struct {
	RPS      float64
	P50      float64
	P99      float64
	Requests int
	// Load is the 1-minute load average when the round ended.
	Load float64
}

// scenario is one measured configuration.
type scenario struct {
	// Key names it in the report ("1", "2", "7a"…).
	Key  string
	Name string
	// Command is how it is driven, for BENCHMARKS.md.
	Command string
	// warmup runs once before the rounds (nil: none).
	warmup func(ctx context.Context) error
	// run measures one round.
	run func(ctx context.Context, round int) (sample, error)

	Samples []sample
}

// median of the scenario's samples.
func (s *scenario) median() sample {
	return sample{
		RPS:      median(s.Samples, func(x sample) float64 { return x.RPS }),
		P50:      median(s.Samples, func(x sample) float64 { return x.P50 }),
		P99:      median(s.Samples, func(x sample) float64 { return x.P99 }),
		Requests: int(median(s.Samples, func(x sample) float64 { return float64(x.Requests) })),
	}
}

// alternate warms every scenario, then runs rounds of them in turn (A B C
// A B C …), so slow drift of the shared machine's load hits every
// scenario alike. Ratios are taken round by round.
func alternate(ctx context.Context, group string, scens []*scenario, rounds int) error {
	for _, s := range scens {
		if s.warmup == nil {
			continue
		}
		log.Printf("%s: warm-up %s", group, s.Name)
		if err := s.warmup(ctx); err != nil {
			return fmt.Errorf("%s: warm-up: %w", s.Name, err)
		}
	}
	for r := range rounds {
		for _, s := range scens {
			start := time.Now()
			smp, err := s.run(ctx, r)
			if err != nil {
				return fmt.Errorf("%s, round %d: %w", s.Name, r+1, err)
			}
			smp.Load = loadAverage()
			s.Samples = append(s.Samples, smp)
			log.Printf("%s: round %d/%d %-34s %9.0f req/s  p50 %7.2f ms  p99 %7.2f ms  (%.0fs, load %.2f)",
				group, r+1, rounds, s.Name, smp.RPS, smp.P50, smp.P99, time.Since(start).Seconds(), smp.Load)
		}
	}
	return nil
}

// ratios returns, round by round, f(a's sample, b's sample).
func ratios(a, b *scenario, f func(x, y sample) float64) []float64 {
	n := min(len(a.Samples), len(b.Samples))
	out := make([]float64, n)
	for i := range n {
		out[i] = f(a.Samples[i], b.Samples[i])
	}
	return out
}

// median returns the median of f over xs (the mean of the middle two for
// an even count); 0 for none.
func median[T any](xs []T, f func(T) float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	v := make([]float64, len(xs))
	for i, x := range xs {
		v[i] = f(x)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// medianOf is median over plain numbers.
func medianOf(v []float64) float64 { return median(v, func(x float64) float64 { return x }) }
