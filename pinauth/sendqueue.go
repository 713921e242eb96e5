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

// delivery is one message a forgot-PIN call asked for.
type delivery struct {
	channel string
	// to is the address or number; "" for the stand-in queued for an
	// unknown account, which a worker drops (see forgotPIN).
	to          string
	tenant, uid string
	set         *messageSet
	data        messageData
}

// sendQueue delivers PIN reset messages in the background, so a
// forgot-PIN call never waits on an SMTP server or an SMS provider and
// answers in the same time whether or not a message goes out. It is in
// memory: a message still queued when the process dies is lost (the user
// asks again). Each delivery is bounded by its channel's timeout; Close
// lets the queue drain for at most sendDrainTimeout.
type sendQueue struct {
	jobs chan delivery
	// pending counts places taken by reserve and not yet taken by a
	// worker; busy counts deliveries in progress.
	pending atomic.Int64
	busy    atomic.Int64
	mu      sync.RWMutex // guards closed against push on a closed channel
	closed  bool

	mail *mailer    // nil without email
	sms  *smsClient // nil without sms
	cfg  *Config
	log  *zap.Logger

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

func newSendQueue(cfg *Config, log *zap.Logger) *sendQueue {
	ctx, cancel := context.WithCancel(context.Background())
	q := &sendQueue{jobs: make(chan delivery, sendQueueSize), cfg: cfg, log: log, ctx: ctx, cancel: cancel}
	if cfg.Email != nil {
		q.mail = newMailer(*cfg.Email)
	}
	if cfg.SMS != nil {
		q.sms = newSMSClient(*cfg.SMS)
	}
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

// push queues d in a place reserve took; it never blocks.
func (q *sendQueue) push(d delivery) {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		q.pending.Add(-1)
		return
	}
	q.jobs <- d
}

// idle reports whether nothing is queued or being delivered.
func (q *sendQueue) idle() bool {
	return q.busy.Load() == 0 && q.pending.Load() == 0
}

func (q *sendQueue) work() {
	defer q.wg.Done()
	for d := range q.jobs {
		// busy goes up before pending goes down, so idle never sees a
		// delivery in between.
		q.busy.Add(1)
		q.pending.Add(-1)
		q.deliver(d)
		q.busy.Add(-1)
	}
}

// deliver renders and sends one message, logging the outcome without the
// message, the address or any secret.
func (q *sendQueue) deliver(d delivery) {
	if d.to == "" {
		return
	}
	if q.ctx.Err() != nil {
		q.log.Warn("pin reset message dropped at shutdown", zap.String("channel", d.channel),
			zap.String("tenant", d.tenant), zap.String("uid", d.uid))
		return
	}
	start := time.Now()
	var err error
	switch d.channel {
	case channelEmail:
		ctx, cancel := context.WithTimeout(q.ctx, q.cfg.Email.Timeout)
		var e renderedEmail
		if e, err = d.set.renderEmail(d.data); err == nil {
			err = q.mail.send(ctx, d.to, e)
		}
		cancel()
	case channelSMS:
		ctx, cancel := context.WithTimeout(q.ctx, q.cfg.SMS.Timeout)
		var body string
		if body, err = d.set.renderSMS(d.data); err == nil {
			err = q.sms.send(ctx, d.to, body)
		}
		cancel()
	}
	fields := []zap.Field{zap.String("channel", d.channel), zap.String("tenant", d.tenant),
		zap.String("uid", d.uid), zap.Duration("duration", time.Since(start))}
	if err != nil {
		q.log.Error("pin reset message not sent", append(fields, zap.Error(err))...)
		return
	}
	if ce := q.log.Check(zap.DebugLevel, "pin reset message sent"); ce != nil {
		ce.Write(fields...)
	}
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
