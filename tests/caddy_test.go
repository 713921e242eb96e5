package tests

import (
	"bytes"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// caddyProc is a Caddy child process serving one Caddyfile.
type caddyProc struct {
	// Dir is the process's private directory: Caddyfile, HOME and the
	// XDG data and config directories (so Caddy's storage, autosave and
	// the default SQLite file never touch the real ones).
	Dir  string
	cmd  *exec.Cmd
	logs *syncBuffer
	done chan struct{}
	err  error // cmd.Wait's result, valid once done is closed
	// killed marks a child the test killed on purpose (kill9): its exit
	// status is not a failure.
	killed bool
}

// startTimeout bounds how long Caddy may take to start serving; the race
// detector makes the child several times slower.
func startTimeout() time.Duration {
	if raceEnabled {
		return 90 * time.Second
	}
	return 30 * time.Second
}

// startCaddy writes caddyfile to a per-test directory, runs
// `caddy run --config <file> --adapter caddyfile` with an environment of
// its own (nothing inherited, so no PINAUTH_* variable of the caller leaks
// in) plus extraEnv, and waits until every URL in ready answers. The
// child's output is printed when the test fails; the child is stopped in
// t.Cleanup.
func startCaddy(t *testing.T, caddyfile string, ready []string, extraEnv ...string) *caddyProc {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(conf, []byte(caddyfile), 0o600); err != nil {
		t.Fatal(err)
	}
	return startCaddyConfig(t, dir, conf, ready, extraEnv...)
}

// startCaddyConfig runs an existing Caddyfile; dir holds the private HOME
// and XDG directories.
func startCaddyConfig(t *testing.T, dir, conf string, ready []string, extraEnv ...string) *caddyProc {
	t.Helper()
	p := &caddyProc{Dir: dir, logs: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(caddyBin, "run", "--config", conf, "--adapter", "caddyfile")
	p.cmd.Dir = dir
	p.cmd.Env = append([]string{
		"HOME=" + filepath.Join(dir, "home"),
		"XDG_DATA_HOME=" + filepath.Join(dir, "data"),
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"TMPDIR=" + dir,
		// A race found in the child makes it exit with this code.
		"GORACE=exitcode=" + strconv.Itoa(raceExitCode),
	}, extraEnv...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start caddy: %v", err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.stop(t) })
	for _, u := range ready {
		p.waitReady(t, u)
	}
	return p
}

// waitReady polls url until it answers with any HTTP response, failing the
// test when the child exits first or the deadline passes.
func (p *caddyProc) waitReady(t *testing.T, url string) {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	p.waitAnswer(t, url, func() (*http.Client, error) { return client, nil })
}

// waitAnswer is waitReady with the client of each try made by newClient
// (which may fail until the child has written what the client needs).
func (p *caddyProc) waitAnswer(t *testing.T, url string, newClient func() (*http.Client, error)) {
	t.Helper()
	deadline := time.Now().Add(startTimeout())
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		client, err := newClient()
		if err == nil {
			var resp *http.Response
			if resp, err = client.Get(url); err == nil {
				resp.Body.Close()
				return
			}
		}
		select {
		case <-p.done:
			t.Fatalf("caddy exited before serving %s: %v\n%s", url, p.err, p.logs)
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			t.Fatalf("caddy did not serve %s within %s: %v\n%s", url, startTimeout(), err, p.logs)
		}
	}
}

// stop ends the child with SIGINT (Caddy's graceful stop, which runs every
// module's Cleanup) and checks that it exited cleanly and reported no data
// race. Its output is printed when the test failed.
func (p *caddyProc) stop(t *testing.T) {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
			t.Errorf("caddy did not stop within 20s of SIGINT")
		}
	}
	logs := p.logs.String()
	races, known := raceReports(logs)
	if races != "" {
		// The reports first, on their own: the whole output can be long
		// enough for a CI summary to cut them out of its middle.
		t.Errorf("the race detector reported a data race in caddy:\n%s", races)
	}
	if p.killed {
		if t.Failed() {
			t.Logf("caddy output (killed by the test):\n%s", logs)
		}
		return
	}
	var exit *exec.ExitError
	if errors.As(p.err, &exit) && exit.ExitCode() == raceExitCode && races == "" && known > 0 {
		t.Logf("caddy exited with the race status only for %d report(s) of Caddy's own forward_auth race (see knownCaddyRace)", known)
	} else if errors.As(p.err, &exit) {
		t.Errorf("caddy exited with status %d after SIGINT (a Cleanup error or a race)", exit.ExitCode())
	} else if p.err != nil {
		t.Errorf("caddy: %v", p.err)
	}
	if t.Failed() {
		t.Logf("caddy output:\n%s", logs)
	}
}

// kill9 ends the child with SIGKILL, as a crash would: no Cleanup runs,
// nothing is flushed. It returns once the process is gone.
func (p *caddyProc) kill9(t *testing.T) {
	t.Helper()
	p.killed = true
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill -9 caddy: %v", err)
	}
	<-p.done
}

// Logs returns what the child printed so far.
func (p *caddyProc) Logs() string { return p.logs.String() }

// syncBuffer is a bytes.Buffer safe for the child's two output pipes and
// the test reading it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	// The kernel may hand a closed port out again at once, so two calls
	// could name the same port for two sites of one Caddyfile (Caddy then
	// refuses it as an ambiguous site definition): a port is handed out
	// once per test process.
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if _, taken := handedOutPorts.LoadOrStore(port, true); !taken {
			return port
		}
	}
	t.Fatal("no loopback port that was not handed out before")
	return 0
}

// handedOutPorts holds every port freePort has returned.
var handedOutPorts sync.Map

// portFree reports whether addr can be listened on right now.
func portFree(addr string) bool {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// baseURL is the http URL of a loopback port.
func baseURL(port int) string { return "http://127.0.0.1:" + strconv.Itoa(port) }

// raceReports returns the race detector's reports in a child's output,
// each from its "WARNING: DATA RACE" line to the separator that ends it,
// or "" when there is none, leaving out (and counting) the reports of
// Caddy's own known race (knownCaddyRace).
func raceReports(logs string) (races string, known int) {
	const start, sep = "WARNING: DATA RACE", "=================="
	var b strings.Builder
	for {
		i := strings.Index(logs, start)
		if i < 0 {
			return b.String(), known
		}
		logs = logs[i:]
		end := strings.Index(logs, sep)
		if end < 0 {
			end = len(logs)
		}
		if report := logs[:end]; knownCaddyRace(report) {
			known++
		} else {
			b.WriteString(report)
			b.WriteString(sep + "\n")
		}
		logs = logs[end:]
	}
}
