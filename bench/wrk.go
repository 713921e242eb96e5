package main

import (
	"bufio"
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

//go:embed lua/*.lua
var luaFS embed.FS

// wrkScripts writes the wrk Lua scripts into dir (report.lua prefixed to
// each) and returns their paths by name: "static", "tokens", "pinlogin".
func wrkScripts(dir string) (map[string]string, error) {
	report, err := luaFS.ReadFile("lua/report.lua")
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, name := range []string{"static", "tokens", "pinlogin"} {
		body := []byte{}
		if name != "static" {
			if body, err = luaFS.ReadFile("lua/" + name + ".lua"); err != nil {
				return nil, err
			}
		}
		p := filepath.Join(dir, name+".lua")
		if err := os.WriteFile(p, append(append(report, '\n'), body...), 0o644); err != nil {
			return nil, err
		}
		out[name] = p
	}
	return out, nil
}

// wrkRun is one wrk invocation.
type wrkRun struct {
	URL         string
	Threads     int
	Connections int
	Duration    time.Duration
	Script      string
	Headers     []string // "Name: value"
	Args        []string // after "--", for the script
}

// command returns the wrk argument list.
func (w wrkRun) command() []string {
	args := []string{
		"-t" + strconv.Itoa(w.Threads), "-c" + strconv.Itoa(w.Connections),
		"-d" + strconv.Itoa(int(w.Duration.Seconds())) + "s", "--timeout", "10s", "-s", w.Script,
	}
	for _, h := range w.Headers {
		args = append(args, "-H", h)
	}
	args = append(args, w.URL)
	if len(w.Args) > 0 {
		args = append(append(args, "--"), w.Args...)
	}
	return args
}

// display is the command as a reader would type it, with long token values
// shortened.
func (w wrkRun) display() string {
	parts := []string{"wrk"}
	for _, a := range w.command() {
		if strings.HasPrefix(a, "Authorization: ") && len(a) > 40 {
			a = a[:36] + "…"
		}
		if strings.ContainsAny(a, " \"") {
			a = strconv.Quote(a)
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// wrkResult is what report.lua prints.
type wrkResult struct {
	Requests      int     `json:"requests"`
	DurationUS    int64   `json:"duration_us"`
	ErrorsConnect int     `json:"errors_connect"`
	ErrorsRead    int     `json:"errors_read"`
	ErrorsWrite   int     `json:"errors_write"`
	ErrorsStatus  int     `json:"errors_status"`
	ErrorsTimeout int     `json:"errors_timeout"`
	P50US         float64 `json:"p50_us"`
	P90US         float64 `json:"p90_us"`
	P99US         float64 `json:"p99_us"`
	MeanUS        float64 `json:"mean_us"`
	MaxUS         float64 `json:"max_us"`
	Wrapped       int     `json:"wrapped"`
}

func (r wrkResult) errors() int {
	return r.ErrorsConnect + r.ErrorsRead + r.ErrorsWrite + r.ErrorsStatus + r.ErrorsTimeout
}

// sample converts a wrk result into a measurement. Any error, or a token
// pool that ran out, fails it: the numbers would not mean what they say.
func (r wrkResult) sample() (sample, error) {
	if r.Requests == 0 || r.DurationUS == 0 {
		return sample{}, fmt.Errorf("wrk completed no request")
	}
	if n := r.errors(); n > 0 {
		return sample{}, fmt.Errorf("wrk: %d of %d requests failed (connect %d, read %d, write %d, status>399 %d, timeout %d)",
			n, r.Requests, r.ErrorsConnect, r.ErrorsRead, r.ErrorsWrite, r.ErrorsStatus, r.ErrorsTimeout)
	}
	if r.Wrapped > 0 {
		return sample{}, fmt.Errorf("wrk: the token pool ran out (%d wraps): raise -token-rate", r.Wrapped)
	}
	return sample{
		RPS:      float64(r.Requests) / (float64(r.DurationUS) / 1e6),
		P50:      r.P50US / 1000,
		P99:      r.P99US / 1000,
		Requests: r.Requests,
	}, nil
}

// run executes wrk and parses its result line.
func (w wrkRun) run(ctx context.Context) (wrkResult, error) {
	cmd := exec.CommandContext(ctx, "wrk", w.command()...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return wrkResult{}, fmt.Errorf("wrk: %v: %s%s", err, errb.String(), out.String())
	}
	return parseWrk(out.Bytes())
}

// parseWrk finds the BENCHJSON line in wrk's output.
func parseWrk(out []byte) (wrkResult, error) {
	var res wrkResult
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "BENCHJSON "); ok {
			err := json.Unmarshal([]byte(rest), &res)
			return res, err
		}
	}
	return res, fmt.Errorf("wrk printed no result line:\n%s", out)
}

// wrkVersion returns wrk's version line.
func wrkVersion() string {
	out, _ := exec.Command("wrk", "-v").CombinedOutput()
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}
