package pinauth

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
)

// rawExchange writes head and then the first part of a body that claims
// to be longer, and reads the answer, bounded by within.
func rawExchange(t *testing.T, addr, head, partial string, within time.Duration) (*http.Response, time.Duration) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	_ = conn.SetDeadline(start.Add(within))
	if _, err := io.WriteString(conn, head+partial); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer within %s to a stalled body: %v", within, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, time.Since(start)
}

func TestAStalledBodyIsAnsweredWith408WhenTheBodyTimeoutPasses(t *testing.T) {
	t.Parallel()
	const timeout = 300 * time.Millisecond
	env := newTestEnv(t, withLoginPage(), func(c *Config) { c.BodyTimeout = timeout })
	addr := strings.TrimPrefix(env.srv.URL, "http://")
	for _, c := range []struct {
		name, method, path, ctype string
		status                    int
	}{
		{"an API call", "POST", "/identity/v2/auth/login?apikey=" + testKey, "application/json", http.StatusRequestTimeout},
		{"a login form", "POST", "/login", "application/x-www-form-urlencoded", http.StatusRequestTimeout},
	} {
		t.Run(c.name, func(t *testing.T) {
			head := c.method + " " + c.path + " HTTP/1.1\r\nHost: gw.test\r\nContent-Type: " + c.ctype +
				"\r\nContent-Length: " + strconv.Itoa(1000) + "\r\n\r\n"
			// The answer must come once the timeout passes, never hang:
			// 30s bounds a loaded machine, far above the 300ms.
			resp, took := rawExchange(t, addr, head, `{"email":"`, 30*time.Second)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, c.status)
			}
			if took < timeout {
				t.Fatalf("answered after %s, before the %s timeout: the body was not waited for", took, timeout)
			}
		})
	}
}

// deadlineRecorder is a ResponseWriter that records the read deadlines set
// through http.ResponseController.
type deadlineRecorder struct {
	*httptest.ResponseRecorder
	deadlines []time.Time
}

func (d *deadlineRecorder) SetReadDeadline(t time.Time) error {
	d.deadlines = append(d.deadlines, t)
	return nil
}

func TestTheBodyDeadlineIsClearedWhenTheBodyEndsAndOnlySetForABody(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	env.createAccount(testEmail, testPIN)
	send := func(method, target, body string) *deadlineRecorder {
		var rd io.Reader = http.NoBody
		if body != "" {
			rd = strings.NewReader(body)
		}
		r := httptest.NewRequest(method, target, rd)
		r.Header.Set("Content-Type", "application/json")
		w := &deadlineRecorder{ResponseRecorder: httptest.NewRecorder()}
		env.gw.Handle(w, r)
		return w
	}
	// Read to its end: set, then cleared before the handler went on to
	// the hashing (had it stayed, net/http's background read of the
	// connection would fail under the handler and cancel its context).
	w := send("POST", "/identity/v2/auth/login?apikey="+testKey, `{"email":"`+testEmail+`","password":"`+testPass+`"}`)
	if w.Code != 200 || len(w.deadlines) != 2 || w.deadlines[0].IsZero() || !w.deadlines[1].IsZero() {
		t.Fatalf("a login: %d, deadlines %v; want 200 with one set and then cleared", w.Code, w.deadlines)
	}
	if d := time.Until(w.deadlines[0]); d > config.DefaultBodyTimeout {
		t.Fatalf("the deadline was %s away, more than the %s timeout", d, config.DefaultBodyTimeout)
	}
	// Not read to its end (too large): the deadline stays, so that
	// net/http's drain of the rest cannot hang on a stalled client.
	w = send("POST", "/identity/v2/auth/login?apikey="+testKey, `{"email":"`+strings.Repeat("a", apireq.MaxBodyBytes)+`"}`)
	if w.Code != http.StatusRequestEntityTooLarge || len(w.deadlines) != 1 || w.deadlines[0].IsZero() {
		t.Fatalf("an oversized body: %d, deadlines %v; want 413 with the deadline left set", w.Code, w.deadlines)
	}
	// No body, no deadline.
	w = send("GET", "/identity/v2/auth/access_token/validate?apikey="+testKey, "")
	if len(w.deadlines) != 0 {
		t.Fatalf("a request without a body got deadlines %v", w.deadlines)
	}
}

func TestDeniedRequestsWithAnUnsentBodyAreAnsweredAtOnce(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	addr := e.srv.Listener.Addr().String()
	const conns = 40
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			target := []string{"/app/data", config.JWKSPath}[i%2]
			errs <- answeredWithoutBody(addr, target, 5*time.Second)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// answeredWithoutBody sends a POST's headers announcing a body it never
// sends, and returns an error unless an answer arrives within wait.
func answeredWithoutBody(addr, target string, wait time.Duration) error {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(wait))
	if _, err := fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n", target); err != nil {
		return err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return fmt.Errorf("POST %s with its body held back: no answer: %w", target, err)
	}
	resp.Body.Close()
	if resp.StatusCode < 400 || !resp.Close {
		return fmt.Errorf("POST %s: %d, close %v; want an error that closes the connection", target, resp.StatusCode, resp.Close)
	}
	return nil
}
