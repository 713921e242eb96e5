package tests

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// quickStartBuildTimeout bounds the Quick start's go run: it links Caddy
// (compiled already by TestMain, or by an earlier run) on a machine
// whose cores other tests share.
const quickStartBuildTimeout = 10 * time.Minute

// TestREADMEQuickStartCommandServesTheLoginPage runs the Quick start's
// first command as printed (`go run ./cmd/caddy run --config
// Caddyfile.example --adapter caddyfile`) from the repository root with no
// PINAUTH_* variable, and follows the README: the login page answers at
// /login, and the log warns of the development defaults and says where the
// database is. When the example's ports are taken (another test, another
// program) it moves the gateway with PINAUTH_PORT, as the README says, and
// runs from a copy of the repository's tree whose example has its demo
// upstream on a free port.
func TestREADMEQuickStartCommandServesTheLoginPage(t *testing.T) {
	t.Parallel()
	line := quickStartCommands(t)[0]
	if !strings.HasPrefix(line, "go run ") {
		t.Fatalf("the Quick start's first command is %q, not a go run", line)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	env := quickStartEnv(t, home)
	work, port := root, 8080
	if !claimExamplePorts(t) {
		work = t.TempDir()
		linkRepository(t, work)
		if err := os.Remove(filepath.Join(work, "Caddyfile.example")); err != nil {
			t.Fatal(err)
		}
		var moved []string
		_, port, moved = exampleOnOwnPorts(t, work, nil)
		env = append(env, moved...)
	}
	t.Logf("running %q in %s with the gateway on port %d", line, work, port)

	cmd := exec.Command("bash", "-c", line)
	cmd.Dir, cmd.Env = work, env
	// go run and the Caddy it starts form one process group, stopped
	// together.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
			t.Errorf("the Quick start's Caddy did not stop within 30s of SIGINT")
		}
		// go run exits 1 whenever it was interrupted (waitErr), whatever
		// the program did; Caddy itself must have stopped cleanly.
		if !strings.Contains(logs.String(), `"msg":"shutdown complete","signal":"SIGINT","exit_code":0`) {
			t.Errorf("Caddy did not report a clean shutdown after SIGINT (go run: %v)", waitErr)
		}
		if t.Failed() {
			t.Logf("output:\n%s", logs.String())
		}
	})

	page := waitForPage(t, "http://127.0.0.1:"+strconv.Itoa(port)+"/login", done, &logs)
	if !strings.Contains(page, `id="identifier"`) || !strings.Contains(page, `id="password"`) {
		t.Fatalf("/login is not the login form:\n%s", page)
	}
	out := logs.String()
	for _, want := range []string{
		`"msg":"development default in use: set PINAUTH_PEPPER"`,
		`"msg":"development default in use: set PINAUTH_API_SECRET"`,
		`"msg":"store opened","backend":"sqlite","path":` + strconv.Quote(filepath.Join(home, "data", "caddy", "pinauth.db")),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %s", want)
		}
	}
}

// quickStartCommands returns the lines of the README's Quick start block.
func quickStartCommands(t *testing.T) []string {
	t.Helper()
	blocks := codeBlocks(readmeSection(t, "Quick start"))
	if len(blocks) != 1 {
		t.Fatalf("Quick start has %d code blocks, want 1", len(blocks))
	}
	return strings.Split(strings.TrimSpace(blocks[0]), "\n")
}

// quickStartEnv is the test's environment for a reader's go run: the go
// command's settings and caches kept (a fresh cache would download and
// compile everything again), HOME and the XDG directories private to the
// test, and no PINAUTH_* or CADDY_* variable.
func quickStartEnv(t *testing.T, home string) []string {
	t.Helper()
	goEnv, err := exec.Command(goTool(), "env", "GOCACHE", "GOMODCACHE", "GOPATH").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	vals := strings.Split(strings.TrimSpace(string(goEnv)), "\n")
	if len(vals) != 3 {
		t.Fatalf("go env printed %q", goEnv)
	}
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case name == "HOME", name == "TMPDIR", strings.HasPrefix(name, "XDG_"),
			strings.HasPrefix(name, "PINAUTH_"), strings.HasPrefix(name, "CADDY_"),
			name == "GOCACHE", name == "GOMODCACHE", name == "GOPATH":
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"PATH="+filepath.Dir(goTool())+":"+os.Getenv("PATH"),
		"GOCACHE="+vals[0], "GOMODCACHE="+vals[1], "GOPATH="+vals[2],
		"HOME="+filepath.Join(home, "home"),
		"XDG_DATA_HOME="+filepath.Join(home, "data"),
		"XDG_CONFIG_HOME="+filepath.Join(home, "config"),
		"TMPDIR="+home,
	)
}

// waitForPage polls url until it answers 200 and returns the body, failing
// when the process ends first (done closed) or quickStartBuildTimeout
// passes.
func waitForPage(t *testing.T, url string, done <-chan struct{}, logs *syncBuffer) string {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(quickStartBuildTimeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if resp, err := client.Get(url); err == nil {
			var body bytes.Buffer
			_, err := body.ReadFrom(resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode == 200 {
				return body.String()
			}
			t.Fatalf("GET %s: %d %v\n%s", url, resp.StatusCode, err, body.String())
		}
		select {
		case <-done:
			t.Fatalf("the command ended before serving %s:\n%s", url, logs.String())
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing served %s within %s\n%s", url, quickStartBuildTimeout, logs.String())
		}
	}
}
