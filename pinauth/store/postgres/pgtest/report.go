package pgtest

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// skipped lists the tests skipped for want of a server, for Run's line.
var skipped struct {
	mu    sync.Mutex
	names []string
}

// skip records t as skipped and skips it.
func skip(t testing.TB, reason string) {
	t.Helper()
	top, _, _ := strings.Cut(t.Name(), "/")
	skipped.mu.Lock()
	if !slices.Contains(skipped.names, top) {
		skipped.names = append(skipped.names, top)
	}
	skipped.mu.Unlock()
	t.Skipf("PostgreSQL test skipped: %s; set %s to a server where tests may create databases", reason, EnvDSN)
}

// Run runs the package's tests (call it from TestMain: os.Exit(pgtest.Run(m)))
// and then, when some were skipped for want of a server, prints one line
// naming them and saying why. `go test ./...` shows nothing a passing
// package prints, so the line goes to the go command's own standard
// error when the tests run under it.
func Run(m *testing.M) int {
	code := m.Run()
	w, closeW := goCommandStderr()
	defer closeW()
	report(w, packagePath())
	return code
}

// report writes Run's line to w when tests of pkg were skipped.
func report(w io.Writer, pkg string) {
	skipped.mu.Lock()
	names := slices.Clone(skipped.names)
	skipped.mu.Unlock()
	if len(names) > 0 {
		_, reason := serverDSN()
		fmt.Fprintln(w, skipLine(pkg, names, reason))
	}
}

// skipLine is Run's line: the package, how many tests and which, why, and
// what to do.
func skipLine(pkg string, names []string, reason string) string {
	list := names
	if len(list) > 4 {
		list = append(slices.Clone(list[:4]), fmt.Sprintf("and %d more", len(names)-4))
	}
	return fmt.Sprintf("%s: %d PostgreSQL test(s) skipped (%s): %s; start it or set %s, then run with -count=1 (go test caches this result)",
		pkg, len(names), strings.Join(list, ", "), reason, EnvDSN)
}

// goCommandStderr returns the standard error of the go command running
// this test binary, or the binary's own when it runs on its own (or the
// parent's cannot be opened).
func goCommandStderr() (io.Writer, func()) {
	ppid := os.Getppid()
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", ppid))
	if err != nil || strings.TrimSpace(string(comm)) != "go" {
		return os.Stderr, func() {}
	}
	f, err := os.OpenFile(fmt.Sprintf("/proc/%d/fd/2", ppid), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return os.Stderr, func() {}
	}
	return f, func() { f.Close() }
}

// packagePath names the package under test as `go test` is given it
// (./pinauth/store/postgres): its directory relative to the module's.
func packagePath() string {
	dir, err := os.Getwd()
	if err != nil {
		return "?"
	}
	for root := dir; ; {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			if rel, err := filepath.Rel(root, dir); err == nil {
				return "./" + filepath.ToSlash(rel)
			}
			return dir
		}
		parent := filepath.Dir(root)
		if parent == root {
			return dir
		}
		root = parent
	}
}
