package pgtest

import (
	"bytes"
	"os"
	"strings"
	"sync"
	"testing"
)

// TestWithoutAServerTestsSkipAndOneLineSaysWhichAndWhy stands in for a
// machine where nothing answers: EnvDSN unset, the default address
// refusing connections. Tests asking for a database are skipped, and the
// report is one line naming them, the reason and the way out; with tests
// run and none skipped it says nothing.
func TestWithoutAServerTestsSkipAndOneLineSaysWhichAndWhy(t *testing.T) {
	t.Setenv(EnvDSN, "")
	os.Unsetenv(EnvDSN)
	savedDSN := defaultDSN
	defaultDSN = "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=2"
	resetServer()
	t.Cleanup(func() {
		defaultDSN = savedDSN
		resetServer()
	})

	var quiet bytes.Buffer
	report(&quiet, "./x")
	if quiet.Len() != 0 {
		t.Fatalf("a report with nothing skipped: %q", quiet.String())
	}
	// Subtests count once, as their top-level test.
	for _, sub := range []string{"a", "b"} {
		t.Run(sub, func(t *testing.T) {
			DSN(t)
			t.Error("DSN returned without a server")
		})
	}
	var line bytes.Buffer
	report(&line, "./pinauth/store/postgres")
	got := line.String()
	if strings.Count(got, "\n") != 1 ||
		!strings.HasPrefix(got, "./pinauth/store/postgres: 1 PostgreSQL test(s) skipped (TestWithoutAServerTestsSkipAndOneLineSaysWhichAndWhy): no PostgreSQL answers as user postgres on 127.0.0.1:5432 (") ||
		!strings.HasSuffix(got, "; start it or set "+EnvDSN+", then run with -count=1 (go test caches this result)\n") {
		t.Fatalf("report:\n%s", got)
	}
}

// resetServer forgets the server found and the tests skipped.
func resetServer() {
	server.once = sync.Once{}
	server.dsn, server.reason = "", ""
	skipped.mu.Lock()
	skipped.names = nil
	skipped.mu.Unlock()
}
