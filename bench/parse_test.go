package main

import (
	"strings"
	"testing"
)

func TestParseWrkFindsTheResultLineAndRejectsFailedRuns(t *testing.T) {
	out := []byte("Running 10s test @ http://127.0.0.1:1/app\n  2 threads and 64 connections\n" +
		`BENCHJSON {"requests":1000,"duration_us":2000000,"errors_connect":0,"errors_read":0,"errors_write":0,` +
		`"errors_status":0,"errors_timeout":0,"p50_us":1500.0,"p90_us":2000.0,"p99_us":3000.0,"mean_us":1600.0,"max_us":9000.0,"wrapped":0}` + "\n")
	res, err := parseWrk(out)
	if err != nil {
		t.Fatal(err)
	}
	s, err := res.sample()
	if err != nil {
		t.Fatal(err)
	}
	if s.RPS != 500 || s.P50 != 1.5 || s.P99 != 3 || s.Requests != 1000 {
		t.Errorf("sample = %+v, want 500 req/s, p50 1.5 ms, p99 3 ms, 1000 requests", s)
	}
	res.ErrorsStatus = 3
	if _, err := res.sample(); err == nil || !strings.Contains(err.Error(), "3 of 1000") {
		t.Errorf("a run with failed requests must not count; err = %v", err)
	}
	res.ErrorsStatus, res.Wrapped = 0, 1
	if _, err := res.sample(); err == nil {
		t.Error("a cold run whose tokens repeated must not count")
	}
	if _, err := parseWrk([]byte("no result here\n")); err == nil {
		t.Error("output without a result line must be an error")
	}
}

func TestParseGoBenchReadsNamesTimesAndAllocations(t *testing.T) {
	out := []byte("goos: linux\n" +
		"BenchmarkVerifyCachedEdDSA-2   \t 1000000\t       467.7 ns/op\t      11 B/op\t       0 allocs/op\n" +
		"BenchmarkArgon2idDefault-2     \t     100\t  36241712 ns/op\n" +
		"PASS\n")
	got := parseGoBench(out)
	if len(got) != 2 {
		t.Fatalf("parsed %d lines, want 2: %+v", len(got), got)
	}
	if g := got[0]; g.Name != "BenchmarkVerifyCachedEdDSA" || g.NsPerOp != 467.7 || g.BPerOp != 11 || g.Allocs != 0 || !g.HasAlloc {
		t.Errorf("first = %+v", g)
	}
	if g := got[1]; g.Name != "BenchmarkArgon2idDefault" || g.NsPerOp != 36241712 || g.HasAlloc {
		t.Errorf("second = %+v", g)
	}
}

func TestMedianAndPercentile(t *testing.T) {
	if m := medianOf([]float64{3, 1, 2}); m != 2 {
		t.Errorf("median of 3 1 2 = %v", m)
	}
	if m := medianOf([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Errorf("median of 4 1 3 2 = %v", m)
	}
	v := make([]float64, 100)
	for i := range v {
		v[i] = float64(100 - i)
	}
	if p := percentile(v, 99); p != 99 {
		t.Errorf("p99 of 1..100 = %v", p)
	}
	if p := percentile(v, 50); p != 50 {
		t.Errorf("p50 of 1..100 = %v", p)
	}
}

func TestCountNamesAccountCounts(t *testing.T) {
	for n, want := range map[int]string{1000: "1k", 100000: "100k", 1000000: "1M", 1234: "1234"} {
		if got := count(n); got != want {
			t.Errorf("count(%d) = %q, want %q", n, got, want)
		}
	}
}
