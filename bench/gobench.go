package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// microBenchPattern selects the Go benchmarks of the hot functions that
// the report judges; PIN login and argon2id are measured by the load run.
const microBenchPattern = "^Benchmark(ProtectedRequestCached|AuthRequestCached|VerifyCached|VerifyUncached|BareJWT|HeaderRewrite|ProfileEncode)"

// microResult is one Go benchmark line.
type microResult struct {
	Name     string
	NsPerOp  float64
	BPerOp   float64
	Allocs   float64
	HasAlloc bool
}

// runMicro runs the compiled pinauth test binary once over every selected
// benchmark (one round; rounds alternate the benchmarks).
func runMicro(ctx context.Context, testBin, dir, benchtime string) ([]microResult, error) {
	cmd := exec.CommandContext(ctx, testBin, "-test.run", "XXX", "-test.bench", microBenchPattern,
		"-test.benchmem", "-test.benchtime", benchtime, "-test.count", "1")
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %v\n%s%s", testBin, err, out.String(), errb.String())
	}
	return parseGoBench(out.Bytes()), nil
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:\s+([\d.]+) B/op\s+([\d.]+) allocs/op)?`)

// parseGoBench reads `go test -bench` output.
func parseGoBench(out []byte) []microResult {
	var res []microResult
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		r := microResult{Name: m[1]}
		r.NsPerOp, _ = strconv.ParseFloat(m[2], 64)
		if m[3] != "" {
			r.HasAlloc = true
			r.BPerOp, _ = strconv.ParseFloat(m[3], 64)
			r.Allocs, _ = strconv.ParseFloat(m[4], 64)
		}
		res = append(res, r)
	}
	return res
}
