package postgres

import (
	"runtime"
	"testing"
	"time"
)

// The pool size and timeouts the Caddyfile's store postgres block sets
// reach the pool, and the defaults are the documented ones.
func TestPoolSizeAndTimeoutsComeFromTheConfigOrTheDocumentedDefaults(t *testing.T) {
	t.Parallel()
	const dsn = "postgres://pinauth@127.0.0.1:1/pinauth?sslmode=disable"
	for _, c := range []struct {
		name           string
		cfg            Config
		maxConns       int32
		connect, query time.Duration
	}{
		{"given", Config{DSN: dsn, MaxConns: 3, ConnectTimeout: 7 * time.Second, QueryTimeout: 1500 * time.Millisecond},
			3, 7 * time.Second, 1500 * time.Millisecond},
		{"defaults", Config{DSN: dsn},
			int32(max(8, 4*runtime.GOMAXPROCS(0))), DefaultConnectTimeout, DefaultQueryTimeout},
		{"the DSN's connect_timeout", Config{DSN: dsn + "&connect_timeout=9"},
			int32(max(8, 4*runtime.GOMAXPROCS(0))), 9 * time.Second, DefaultQueryTimeout},
		{"connect_timeout over the DSN's", Config{DSN: dsn + "&connect_timeout=9", ConnectTimeout: 2 * time.Second},
			int32(max(8, 4*runtime.GOMAXPROCS(0))), 2 * time.Second, DefaultQueryTimeout},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := newStore(c.cfg) // connects only when first used
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			pc := s.pool.Config()
			if pc.MaxConns != c.maxConns || pc.ConnConfig.ConnectTimeout != c.connect ||
				s.connConfig.ConnectTimeout != c.connect || s.queryTimeout != c.query {
				t.Errorf("pool of %d, connect timeout %v (listener %v), query timeout %v; want %d, %v, %v",
					pc.MaxConns, pc.ConnConfig.ConnectTimeout, s.connConfig.ConnectTimeout, s.queryTimeout,
					c.maxConns, c.connect, c.query)
			}
		})
	}
}
