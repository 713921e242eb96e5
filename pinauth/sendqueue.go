package pinauth

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// The channels a PIN reset message goes by.
const (
	channelEmail = "email"
	channelSMS   = "sms"
)

// job is one background delivery: run does the work within ctx, which
// ends after timeout.
type job struct {
	timeout time.Duration
	run     func(ctx context.Context)
}

// sendQueue runs PIN and password reset deliveries in the background, so
// a forgot call never waits on the store's view of the account, an SMTP
// server or an SMS provider, and answers in the same time whether or not
// a message goes out. It is in memory: a message still queued when the process
// dies is lost (the user asks again). Each job is bounded by its timeout;
// close lets the queue drain for at most sendDrainTimeout.
type sendQueue struct {
	jobs chan job
	// pending counts places taken by reserve and not yet taken by a
	// worker; busy counts deliveries in progress.
	pending atomic.Int64
	busy    atomic.Int64
	mu      sync.RWMutex // guards closed against push on a closed channel
	closed  bool

	log *zap.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

const (
	// sendQueueSize bounds the messages waiting; a forgot-PIN call that
	// finds the queue full gets a 503.
	sendQueueSize = 256
	// sendWorkers deliver in parallel.
	sendWorkers = 2
	// sendDrainTimeout bounds how long Close waits for queued messages.
	sendDrainTimeout = 5 * time.Second
)

func newSendQueue(log *zap.Logger) *sendQueue {
	ctx, cancel := context.WithCancel(context.Background())
	q := &sendQueue{jobs: make(chan job, sendQueueSize), log: log, ctx: ctx, cancel: cancel}
	for range sendWorkers {
		q.wg.Add(1)
		go q.work()
	}
	return q
}

// reserve takes a place in the queue for a later push; false when the
// queue is full or closed.
func (q *sendQueue) reserve() bool {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		return false
	}
	for {
		n := q.pending.Load()
		if n >= sendQueueSize {
			return false
		}
		if q.pending.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// release gives back a place reserve took and push will not use.
func (q *sendQueue) release() { q.pending.Add(-1) }

// push queues j in a place reserve took; it never blocks.
func (q *sendQueue) push(j job) {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		q.pending.Add(-1)
		return
	}
	q.jobs <- j
}

// idle reports whether nothing is queued or being delivered.
func (q *sendQueue) idle() bool {
	return q.busy.Load() == 0 && q.pending.Load() == 0
}

func (q *sendQueue) work() {
	defer q.wg.Done()
	for j := range q.jobs {
		// busy goes up before pending goes down, so idle never sees a
		// job in between.
		q.busy.Add(1)
		q.pending.Add(-1)
		q.runJob(j)
		q.busy.Add(-1)
	}
}

// runJob runs one job within its timeout; after close gave up waiting it
// only counts the loss.
func (q *sendQueue) runJob(j job) {
	if q.ctx.Err() != nil {
		q.log.Warn("reset message dropped at shutdown")
		return
	}
	ctx, cancel := context.WithTimeout(q.ctx, j.timeout)
	defer cancel()
	j.run(ctx)
}

// close stops taking messages, lets the workers deliver what is queued for
// at most sendDrainTimeout, then cancels what is left and waits.
func (q *sendQueue) close() {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.closed = true
	close(q.jobs)
	q.mu.Unlock()
	done := make(chan struct{})
	go func() {
		q.wg.Wait()
		close(done)
	}()
	t := time.NewTimer(sendDrainTimeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		q.cancel()
		<-done
	}
	q.cancel()
}
