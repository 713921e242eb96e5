package notify

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// Job is one background delivery: Run does the work within ctx, which
// ends after Timeout.
type Job struct {
	Timeout time.Duration
	Run     func(ctx context.Context)
}

// Queue runs PIN and password reset deliveries in the background, so
// a forgot call never waits on the store's view of the account, an SMTP
// server or an SMS provider, and answers in the same time whether or not
// a message goes out. It is in memory: a message still queued when the process
// dies is lost (the user asks again). Each job is bounded by its timeout;
// Close lets the queue drain for at most sendDrainTimeout.
type Queue struct {
	jobs chan Job
	// pending counts places taken by Reserve and not yet taken by a
	// worker; busy counts deliveries in progress.
	pending atomic.Int64
	busy    atomic.Int64
	mu      sync.RWMutex // guards closed against Push on a closed channel
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
	// DefaultWorkers is how many deliveries run in parallel.
	DefaultWorkers = 2
	// sendDrainTimeout bounds how long Close waits for queued messages.
	sendDrainTimeout = 5 * time.Second
)

// NewQueue starts a queue whose workers deliver the jobs pushed to it,
// logging to log. A queue without workers keeps its jobs until Take takes
// them.
func NewQueue(log *zap.Logger, workers int) *Queue {
	ctx, cancel := context.WithCancel(context.Background())
	q := &Queue{jobs: make(chan Job, sendQueueSize), log: log, ctx: ctx, cancel: cancel}
	for range workers {
		q.wg.Add(1)
		go q.work()
	}
	return q
}

// Reserve takes a place in the queue for a later Push; false when the
// queue is full or closed.
func (q *Queue) Reserve() bool {
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

// Release gives back a place Reserve took and Push will not use.
func (q *Queue) Release() { q.pending.Add(-1) }

// Push queues j in a place Reserve took; it never blocks.
func (q *Queue) Push(j Job) {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		q.pending.Add(-1)
		return
	}
	q.jobs <- j
}

// Idle reports whether nothing is queued or being delivered.
func (q *Queue) Idle() bool {
	return q.busy.Load() == 0 && q.pending.Load() == 0
}

// Take takes a waiting job off the queue without running it; false when
// none waits. The caller runs it (a queue without workers holds its jobs
// for this).
func (q *Queue) Take() (Job, bool) {
	select {
	case j, ok := <-q.jobs:
		if ok {
			q.pending.Add(-1)
		}
		return j, ok
	default:
		return Job{}, false
	}
}

// work delivers jobs until the queue is closed and empty.
func (q *Queue) work() {
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

// runJob runs one job within its timeout; after Close gave up waiting it
// only counts the loss.
func (q *Queue) runJob(j Job) {
	if q.ctx.Err() != nil {
		q.log.Warn("reset message dropped at shutdown")
		return
	}
	ctx, cancel := context.WithTimeout(q.ctx, j.Timeout)
	defer cancel()
	j.Run(ctx)
}

// Close stops taking messages, lets the workers deliver what is queued for
// at most sendDrainTimeout, then cancels what is left and waits.
func (q *Queue) Close() {
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
