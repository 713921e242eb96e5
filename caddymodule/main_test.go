package caddymodule

import (
	"os"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres/pgtest"
)

// TestMain runs the tests and says in one line which PostgreSQL tests were
// skipped, and why, when no test server answers.
func TestMain(m *testing.M) {
	os.Exit(pgtest.Run(m))
}
