//go:build linux

package caddymodule

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pinauth/caddy-pinauth/internal/lrfixture"
)

// terminal is a pseudo-terminal: the CLI gets tty as its standard input
// and error, the test plays the operator on the other side.
type terminal struct {
	tty *os.File
	ptm *os.File

	mu   sync.Mutex
	seen bytes.Buffer // everything the terminal showed
	done chan struct{}
}

// newTerminal opens a pseudo-terminal pair (the kernel's /dev/ptmx) and
// starts reading what it shows.
func newTerminal(t *testing.T) *terminal {
	t.Helper()
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	ptm := os.NewFile(uintptr(fd), "/dev/ptmx")
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		ptm.Close()
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		ptm.Close()
		t.Fatal(err)
	}
	tty, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		ptm.Close()
		t.Fatal(err)
	}
	term := &terminal{tty: tty, ptm: ptm, done: make(chan struct{})}
	go func() {
		defer close(term.done)
		buf := make([]byte, 4096)
		for {
			n, err := ptm.Read(buf)
			term.mu.Lock()
			term.seen.Write(buf[:n])
			term.mu.Unlock()
			if err != nil {
				return // EIO once the tty side is closed
			}
		}
	}()
	t.Cleanup(func() {
		tty.Close()
		<-term.done
		ptm.Close()
	})
	return term
}

// shown returns what the terminal has shown so far.
func (term *terminal) shown() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return term.seen.String()
}

// waitShown waits until the terminal shows want after after (""
// for anywhere) and returns what it shows. Output is ordered, so once
// it is there everything written before it is too.
func (term *terminal) waitShown(t *testing.T, after, want string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		shown := term.shown()
		i := 0
		if after != "" {
			i = strings.LastIndex(shown, after)
		}
		if i >= 0 && strings.Contains(shown[i+len(after):], want) {
			return shown
		}
		if time.Now().After(deadline) {
			t.Fatalf("the terminal never showed %q after %q; it shows %q", want, after, shown)
		}
		time.Sleep(5 * time.Millisecond) // polling the condition, with a deadline
	}
}

// answer waits until the terminal shows prompt (the n-th time), then types
// line.
func (term *terminal) answer(t *testing.T, prompt string, n int, line string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(term.shown(), prompt) < n {
		if time.Now().After(deadline) {
			t.Errorf("the terminal never showed %q; it shows %q", prompt, term.shown())
			return
		}
		time.Sleep(5 * time.Millisecond) // polling the condition, with a deadline
	}
	if _, err := term.ptm.Write([]byte(line + "\n")); err != nil {
		t.Error(err)
	}
}

// runOnTerminal runs `caddy pinauth <args>` with the terminal as standard
// input and error and returns standard output and the exit status.
func runOnTerminal(t *testing.T, term *terminal, args ...string) (string, int) {
	t.Helper()
	var out bytes.Buffer
	status, _ := cliExitStatus(pinauthRoot(t, term.tty, &out, term.tty, args...).Execute())
	return out.String(), status
}

func TestUserAddPromptsTwiceForEachSecretWithoutEchoOnATerminal(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pinauth.db")
	conf := cliSite(t, "store sqlite "+db)
	term := newTerminal(t)
	const password, pin = "typed password 4711", "8642"
	go func() {
		term.answer(t, "Password: ", 1, password)
		term.answer(t, "Repeat the password: ", 1, password)
		term.answer(t, "PIN (empty for none): ", 1, pin)
		term.answer(t, "Repeat the PIN: ", 1, pin)
	}()
	out, status := runOnTerminal(t, term, "user", "add", "--config", conf, "--email", "tty@example.com")
	if status != exitOK || !strings.HasPrefix(out, "created ") {
		t.Fatalf("user add on a terminal: %d %q; the terminal shows %q", status, out, term.shown())
	}
	// The newline printed after the last answer was read comes after any
	// echo of it.
	if shown := term.waitShown(t, "Repeat the PIN: ", "\n"); strings.Contains(shown, password) || strings.Contains(shown, pin) {
		t.Fatalf("the terminal echoed a secret: %q", shown)
	}
	r := pinauthCLI(t, "", "user", "show", "tty@example.com", "--config", conf, "--json")
	if !strings.Contains(r.out, `"has_password": true`) || !strings.Contains(r.out, `"has_pin": true`) {
		t.Fatalf("the account made on a terminal: %s %s", r.out, r.errOut)
	}
}

func TestUserAddOnATerminalRefusesSecretsThatDiffer(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pinauth.db")
	conf := cliSite(t, "store sqlite "+db)
	term := newTerminal(t)
	go func() {
		term.answer(t, "Password: ", 1, "typed password 4711")
		term.answer(t, "Repeat the password: ", 1, "typed password 4712")
	}()
	if _, status := runOnTerminal(t, term, "user", "add", "--config", conf, "--email", "tty@example.com"); status != exitUsage {
		t.Fatalf("two different passwords: status %d; the terminal shows %q", status, term.shown())
	}
	term.waitShown(t, "", "caddy pinauth: the two passwords differ")
}

func TestImportDrawsAProgressBarOnATerminalAndNothingElsewhere(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pinauth.db")
	conf := cliSite(t, "store sqlite "+db)
	export := filepath.Join(t.TempDir(), "export.json")
	f, err := os.Create(export)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lrfixture.Write(f, 1000, lrfixture.JSONArray); err != nil {
		t.Fatal(err)
	}
	f.Close()

	term := newTerminal(t)
	out, status := runOnTerminal(t, term, "import", export, "--config", conf)
	if status != exitRejected || !strings.Contains(out, "imported 1000 records: ") {
		t.Fatalf("import on a terminal: %d %q", status, out)
	}
	if shown := term.waitShown(t, "", "] 100%  1000 records"); !strings.Contains(shown, "\rimporting [") {
		t.Fatalf("no progress bar on the terminal: %q", shown)
	}
	if strings.Contains(out, "importing") {
		t.Fatalf("the progress bar went to standard output: %q", out)
	}

	// Not a terminal (a pipe, a log): the summary, no bar.
	r := pinauthCLI(t, "", "import", export, "--config", conf)
	if r.status != exitRejected || !strings.Contains(r.out, "imported 1000 records: 0 created") {
		t.Fatalf("second import: %d %q %q", r.status, r.out, r.errOut)
	}
	if strings.Contains(r.errOut, "importing") || strings.Contains(r.errOut, "\r") {
		t.Fatalf("a progress bar was drawn on a non-terminal: %q", r.errOut)
	}
}
