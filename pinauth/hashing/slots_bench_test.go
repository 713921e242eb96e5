package hashing

import (
	"context"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"golang.org/x/crypto/argon2"
)

// chanSlots is the hashing semaphore before issue 15 (a buffered channel,
// first come first served), kept here as the baseline of the benchmarks
// below so both are measured in the same run.
type chanSlots chan struct{}

func (s chanSlots) acquire(ctx context.Context, _ string, timeout time.Duration) (time.Duration, error) {
	select {
	case s <- struct{}{}:
		return 0, nil
	default:
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case s <- struct{}{}:
		return 0, nil
	case <-t.C:
		return 0, ErrQueueFull
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func (s chanSlots) release(string) { <-s }

type slotQueue interface {
	acquire(ctx context.Context, client string, timeout time.Duration) (time.Duration, error)
	release(client string)
}

// benchSlots runs acquire, work, release from 4 goroutines per CPU, each
// goroutine a client of its own when clients is 0, else one of clients.
func benchSlots(b *testing.B, q slotQueue, clients int, work func()) {
	var next atomic.Int64
	b.SetParallelism(4)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		n := next.Add(1)
		if clients > 0 {
			n %= int64(clients)
		}
		client := "198.51.100." + strconv.FormatInt(n, 10)
		for pb.Next() {
			if _, err := q.acquire(context.Background(), client, time.Minute); err != nil {
				b.Error(err)
				return
			}
			work()
			q.release(client)
		}
	})
}

// BenchmarkHashQueue compares the fair queue with the channel it replaced,
// with cap = GOMAXPROCS slots and four goroutines per slot, so there is
// always a queue. "bare" holds a slot for no work: the queue's own cost,
// the worst case for the fair queue. "argon2id" holds it for a hash at
// the default parameters: what a PIN login pays, where the queue's cost
// must vanish in the hash's.
func BenchmarkHashQueue(b *testing.B) {
	slots := max(1, testingProcs())
	p := DefaultParams
	salt := secret.Bytes(SaltLen)
	hash := func() { argon2.IDKey([]byte("4821"), salt, p.Time, p.MemoryKiB, p.Threads, KeyLen) }
	for _, work := range []struct {
		name string
		fn   func()
	}{{"bare", func() {}}, {"argon2id", hash}} {
		for _, clients := range []int{1, 0} {
			who := "one-client"
			if clients == 0 {
				who = "client-per-goroutine"
			}
			b.Run(work.name+"/"+who+"/chan", func(b *testing.B) {
				benchSlots(b, make(chanSlots, slots), clients, work.fn)
			})
			b.Run(work.name+"/"+who+"/fair", func(b *testing.B) {
				benchSlots(b, newSlots(slots), clients, work.fn)
			})
		}
	}
}

// testingProcs is GOMAXPROCS, the default max_concurrent_hashes.
func testingProcs() int { return runtime.GOMAXPROCS(0) }
