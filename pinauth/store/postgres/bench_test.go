package postgres

import (
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/storetest"
)

// BenchmarkStore measures the calls of the gateway's hot paths on a
// database of the benchmark's own.
func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store {
		s, _ := openFresh(b)
		return s
	})
}
