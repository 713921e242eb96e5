package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// walkStep is one shell block of the README's walk-through and the output
// printed under it ("" when none is).
type walkStep struct{ script, want string }

// walkSteps returns the README's walk-through: each ```sh block with the
// block that follows it when that one is its printed output.
func walkSteps(t *testing.T) []walkStep {
	t.Helper()
	section := readmeSection(t, "Walk-through")
	fence := regexp.MustCompile("(?s)```([a-z]*)\n(.*?)```")
	var steps []walkStep
	for _, m := range fence.FindAllStringSubmatch(section, -1) {
		switch {
		case m[1] == "sh":
			steps = append(steps, walkStep{script: m[2]})
		case len(steps) > 0 && steps[len(steps)-1].want == "":
			steps[len(steps)-1].want = m[2]
		}
	}
	return steps
}

// stepMark separates the output of one step from the next.
const stepMark = "@@walk-step@@"

// TestREADMEWalkThroughRunsAsPrintedAgainstTheExample copies the README's
// walk-through into bash, as a reader would, against Caddyfile.example
// started with no environment, and checks each printed answer against the
// real one: JSON with the same fields (values such as tokens and times
// differ), and the 401 of the forged header.
func TestREADMEWalkThroughRunsAsPrintedAgainstTheExample(t *testing.T) {
	t.Parallel()
	g, _ := startExample(t, true)
	runWalkThrough(t, g.base, "")
}

// runWalkThrough runs the README's walk-through as printed against the
// example's gateway at base (it stands for http://localhost:8080), then
// epilogue in the same shell, so it can print the variables the steps
// set; it checks each step's answer against the printed one and returns
// what epilogue printed.
func runWalkThrough(t *testing.T, base, epilogue string) string {
	t.Helper()
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Fatalf("the README's walk-through needs curl: %v", err)
	}
	steps := walkSteps(t)
	if len(steps) < 6 {
		t.Fatalf("the walk-through has %d shell blocks, want setup, create, password login, set PIN, PIN login, upstream, forged header", len(steps))
	}
	var script strings.Builder
	script.WriteString("set -eu\n")
	for _, s := range steps {
		script.WriteString(strings.ReplaceAll(s.script, "http://localhost:8080", base))
		script.WriteString("\necho " + stepMark + "\n")
	}
	script.WriteString(epilogue)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script.String())
	cmd.Env = []string{"PATH=" + strings.TrimSuffix(curl, "/curl") + ":/usr/bin:/bin"}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the walk-through failed: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr.String())
	}
	outputs := strings.Split(string(out), stepMark+"\n")
	if len(outputs) != len(steps)+1 {
		t.Fatalf("%d step outputs for %d steps:\n%s", len(outputs)-1, len(steps), out)
	}
	for i, s := range steps {
		got, want := strings.TrimSpace(outputs[i]), strings.TrimSpace(s.want)
		switch {
		case want == "":
			if got != "" {
				t.Errorf("step %d prints %q, but the README shows no output", i, got)
			}
		case strings.HasPrefix(want, "{"):
			sameJSONFields(t, i, want, got)
		case strings.HasPrefix(want, "HTTP/1.1 "):
			status, _, _ := strings.Cut(want, "\n")
			if !strings.HasPrefix(got, strings.TrimSpace(status)) {
				t.Errorf("step %d: want %q, got:\n%s", i, status, got)
			}
			lines := strings.Split(want, "\n")
			body := lines[len(lines)-1]
			gotLines := strings.Split(got, "\n")
			sameJSONFields(t, i, body, strings.TrimSpace(gotLines[len(gotLines)-1]))
		default:
			t.Errorf("step %d: the README's output %q is neither JSON nor an HTTP answer", i, want)
		}
	}
	return outputs[len(steps)]
}

// sameJSONFields fails unless got is JSON with the README's fields, nested
// objects included, and the same ErrorCode when the README shows one.
func sameJSONFields(t *testing.T, step int, want, got string) {
	t.Helper()
	var w, g map[string]any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("step %d: the README's output is not JSON: %v\n%s", step, err, want)
	}
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Errorf("step %d: the answer is not JSON: %v\n%s", step, err, got)
		return
	}
	var walk func(path string, w, g map[string]any)
	walk = func(path string, w, g map[string]any) {
		wk, gk := mapKeys(w), mapKeys(g)
		if !slices.Equal(wk, gk) {
			t.Errorf("step %d: %s fields are %v, the README shows %v", step, path, gk, wk)
		}
		for k, v := range w {
			if sub, ok := v.(map[string]any); ok {
				if gsub, ok := g[k].(map[string]any); ok {
					walk(path+"."+k, sub, gsub)
				}
			}
		}
	}
	walk("the answer's", w, g)
	if w["ErrorCode"] != g["ErrorCode"] {
		t.Errorf("step %d: ErrorCode %v, the README shows %v", step, g["ErrorCode"], w["ErrorCode"])
	}
}

// mapKeys returns m's keys, sorted.
func mapKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
