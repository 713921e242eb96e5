package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// caddyProc is a Caddy child process serving one Caddyfile.
type caddyProc struct {
	cmd  *exec.Cmd
	logs *lockedBuffer
	done chan struct{}
	err  error
}

// lockedBuffer collects the child's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startCaddy writes caddyfile into dir and runs it with a private HOME and
// XDG directories plus env, then waits until every URL in ready answers.
func startCaddy(ctx context.Context, bin, dir, caddyfile string, env []string, ready []string) (*caddyProc, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(conf, []byte(caddyfile), 0o600); err != nil {
		return nil, err
	}
	p := &caddyProc{logs: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, "run", "--config", conf, "--adapter", "caddyfile")
	p.cmd.Dir = dir
	p.cmd.Env = append([]string{
		"HOME=" + filepath.Join(dir, "home"),
		"XDG_DATA_HOME=" + filepath.Join(dir, "data"),
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"PATH=" + os.Getenv("PATH"),
	}, env...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start caddy: %w", err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for _, u := range ready {
		for {
			resp, err := client.Get(u)
			if err == nil {
				resp.Body.Close()
				break
			}
			select {
			case <-p.done:
				return nil, fmt.Errorf("caddy exited while starting: %v\n%s", p.err, p.logs.String())
			case <-ctx.Done():
				p.stop()
				return nil, ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				p.stop()
				return nil, fmt.Errorf("caddy did not answer %s within 60s:\n%s", u, p.logs.String())
			}
		}
	}
	return p, nil
}

// pid is the child's process id.
func (p *caddyProc) pid() int { return p.cmd.Process.Pid }

// stop asks Caddy to exit (SIGINT), and kills it after 15s.
func (p *caddyProc) stop() error {
	select {
	case <-p.done:
		return p.exitErr()
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	return p.exitErr()
}

// exitErr is the exit status, ignoring the signal stop sent.
func (p *caddyProc) exitErr() error {
	var ee *exec.ExitError
	if p.err == nil || (errors.As(p.err, &ee) && !ee.Exited()) {
		return nil
	}
	if errors.As(p.err, &ee) && ee.ExitCode() == 1 && strings.Contains(p.logs.String(), "shutting down") {
		return nil
	}
	return fmt.Errorf("caddy: %v", p.err)
}

// caddyVersion returns the first line of `caddy version`.
func caddyVersion(bin string) string {
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		return "unknown"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}

// caddyHashPassword hashes a password with Caddy's own argon2id defaults,
// for basic_auth.
func caddyHashPassword(bin, password string) (string, error) {
	out, err := exec.Command(bin, "hash-password", "--algorithm", "argon2id", "--plaintext", password).Output()
	if err != nil {
		return "", fmt.Errorf("caddy hash-password: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// freePorts reserves n distinct loopback ports (closed again before use,
// as Caddy must bind them itself).
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, n)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports, nil
}
