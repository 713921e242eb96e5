package webhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// Outbox is the part of the store a Dispatcher uses: the store's
// contract for each method holds (store.Store satisfies it).
type Outbox interface {
	// ClaimEvents leases up to c.Limit due events to c.Owner.
	ClaimEvents(ctx context.Context, c store.EventClaim) ([]store.Event, error)
	// CompleteEvent records event id delivered at now.
	CompleteEvent(ctx context.Context, id string, now time.Time) (bool, error)
	// FailEvent records a failed attempt at event id, leased to owner.
	FailEvent(ctx context.Context, id, owner string, f store.EventFailure) (bool, error)
	// PruneEvents deletes up to limit events delivered before before.
	PruneEvents(ctx context.Context, before time.Time, limit int) (int, error)
}

// Options are what a Dispatcher needs beyond its outbox and webhooks.
type Options struct {
	// Logger receives the delivery log. Default: none.
	Logger *zap.Logger
	// Now is the clock of the outbox's times. Default: time.Now.
	Now func() time.Time
	// Poll is how often to look for due events when nothing else wakes
	// the dispatcher. Default: DefaultPollInterval.
	Poll time.Duration
	// Retention is how long delivered events are kept. Default:
	// DefaultRetention.
	Retention time.Duration
	// Delivered, when set, is told the outcome of every attempt.
	Delivered func(Result)
}

// Dispatcher delivers the webhook outbox. It is one background goroutine
// that claims due events from the outbox (a lease, so that every process
// sharing the store delivers each event once, and a node that dies
// mid-delivery leaves it to another when the lease ends), posts them with
// up to dispatchWorkers deliveries in flight, and records the outcome.
// The store hands out an account's events for one endpoint one at a time,
// oldest first, so receivers see them in order.
//
// It never runs on a request's goroutine: requests only write the outbox
// row inside their own transaction.
type Dispatcher struct {
	outbox    Outbox
	delivered func(Result)
	log       *zap.Logger
	now       func() time.Time
	owner     string
	targets   map[string]*target
	endpoints []string
	client    *http.Client
	lease     time.Duration
	poll      time.Duration
	retention time.Duration

	wake   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
}

// dispatchWorkers bounds the deliveries in flight per process.
const dispatchWorkers = 8

// pruneEvery is how often delivered events past the retention are pruned,
// and pruneBatch how many one store call deletes.
const (
	pruneEvery = time.Hour
	pruneBatch = 1000
)

// leaseMargin is added to a claim's lease beyond twice the longest
// timeout.
const leaseMargin = 5 * time.Second

// releaseTimeout bounds the store call that hands an interrupted event
// back when the dispatcher stops.
const releaseTimeout = 5 * time.Second

// Start starts delivering the events of hooks, which have passed
// Validate, from o; it returns nil when hooks is empty. Stop it with Stop.
func Start(o Outbox, hooks []Webhook, opt Options) (*Dispatcher, error) {
	if len(hooks) == 0 {
		return nil, nil
	}
	d := &Dispatcher{
		outbox:    o,
		delivered: opt.Delivered,
		log:       opt.Logger,
		now:       opt.Now,
		owner:     dispatcherOwner(),
		targets:   map[string]*target{},
		client:    newClient(dispatchWorkers),
		poll:      opt.Poll,
		retention: opt.Retention,
		wake:      make(chan struct{}, 1),
		done:      make(chan struct{}),
	}
	if d.delivered == nil {
		d.delivered = func(Result) {}
	}
	if d.log == nil {
		d.log = zap.NewNop()
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.poll <= 0 {
		d.poll = DefaultPollInterval
	}
	if d.retention <= 0 {
		d.retention = DefaultRetention
	}
	var longest time.Duration
	for i := range hooks {
		t, err := newTarget(&hooks[i])
		if err != nil {
			return nil, fmt.Errorf("webhook %d: %w", i+1, err)
		}
		d.targets[t.id] = t
		d.endpoints = append(d.endpoints, t.id)
		longest = max(longest, t.timeout)
	}
	// The lease must outlast claiming, an attempt (its timeout) and
	// recording the outcome, on a loaded machine too. A lease that runs
	// out early costs a duplicate delivery, never a lost one.
	d.lease = 2*longest + leaseMargin
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	go d.run(ctx)
	return d, nil
}

// dispatcherOwner names this process in leases: host, pid and a random
// part, so two dispatchers (a reload overlaps two Gateways) never share
// a name.
func dispatcherOwner() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), secret.Hex(4))
}

// Stop ends the dispatcher: no new claims, deliveries in flight are
// interrupted and their events handed back (due at once), and it returns
// when every goroutine has exited. It is safe on a nil Dispatcher.
func (d *Dispatcher) Stop() {
	if d == nil {
		return
	}
	d.cancel()
	<-d.done
	d.client.CloseIdleConnections()
}

// nudge makes the loop look for due events now.
func (d *Dispatcher) nudge() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *Dispatcher) run(ctx context.Context) {
	defer close(d.done)
	var inFlight sync.WaitGroup
	defer inFlight.Wait()
	busy := make(chan struct{}, dispatchWorkers)
	timer := time.NewTimer(0)
	defer timer.Stop()
	var nextPrune time.Time
	outboxDown := false // log the outage once, not every poll
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-d.wake:
		}
		if now := time.Now(); !now.Before(nextPrune) {
			d.Prune(ctx)
			nextPrune = now.Add(pruneEvery)
		}
		if free := cap(busy) - len(busy); free > 0 {
			evs, err := d.outbox.ClaimEvents(ctx, store.EventClaim{
				Owner: d.owner, Endpoints: d.endpoints, Now: d.now(), Lease: d.lease, Limit: free,
			})
			switch {
			case err != nil && ctx.Err() == nil && !outboxDown:
				outboxDown = true
				d.log.Warn("webhook outbox unavailable", zap.Error(err))
			case err == nil && outboxDown:
				outboxDown = false
				d.log.Info("webhook outbox available again")
			}
			for _, e := range evs {
				busy <- struct{}{}
				inFlight.Add(1)
				go func() {
					defer inFlight.Done()
					d.deliver(ctx, e)
					<-busy
					// A finished delivery frees a worker and may unblock
					// the next event of the same account.
					d.nudge()
				}()
			}
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(d.poll)
	}
}

// deliver makes one attempt at e, which this dispatcher has claimed, and
// records the outcome.
func (d *Dispatcher) deliver(ctx context.Context, e store.Event) {
	t := d.targets[e.Endpoint]
	start := time.Now()
	err := t.post(ctx, d.client, e.ID, e.Payload, d.now())
	// Recording the outcome must survive Close: a delivery that went
	// through should not be made again by the next claimer.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	now := d.now()
	fields := []zap.Field{
		zap.String("event_id", e.ID), zap.String("hook", e.Hook), zap.String("tenant", e.Tenant),
		zap.String("uid", e.UID), zap.String("endpoint", t.id), zap.String("host", t.host),
		zap.Int("attempt", e.Attempts), zap.Duration("duration", time.Since(start)),
	}
	if err == nil {
		if _, err := d.outbox.CompleteEvent(rctx, e.ID, now); err != nil {
			// The receiver has it; the event will be sent again when the
			// lease ends, and the receiver drops it by its webhook-id.
			d.log.Warn("webhook delivered but not recorded", append(fields, zap.Error(err))...)
			return
		}
		d.delivered(Delivered)
		d.log.Debug("webhook delivered", fields...)
		return
	}
	fields = append(fields, zap.String("error", err.Error()))
	f := store.EventFailure{Attempt: e.Attempts, Error: err.Error(), Now: now}
	switch {
	case ctx.Err() != nil:
		// Interrupted by Close: hand the event back, due at once, so the
		// next dispatcher need not wait for the lease.
		f.RetryAt = now
	case e.Attempts >= t.retry.Attempts:
		f.Dead = true
	default:
		wait := t.retry.delay(e.Attempts, randomFraction())
		var ae *attemptError
		if errors.As(err, &ae) && ae.retryAfter > wait {
			wait = min(ae.retryAfter, t.retry.Max)
		}
		f.RetryAt = now.Add(wait)
		fields = append(fields, zap.Duration("retry_in", wait))
		if wait < d.poll {
			time.AfterFunc(wait, d.nudge)
		}
	}
	if f.Dead {
		d.delivered(Dead)
	} else {
		d.delivered(Retried)
	}
	found, rerr := d.outbox.FailEvent(rctx, e.ID, d.owner, f)
	switch {
	case rerr != nil:
		d.log.Warn("webhook failure not recorded", append(fields, zap.NamedError("store_error", rerr))...)
	case !found:
		// The lease ran out and another dispatcher took the event over.
		d.log.Info("webhook delivery failed after its lease ended", fields...)
	case f.Dead:
		d.log.Warn("webhook event dead", fields...)
	default:
		d.log.Info("webhook delivery failed", fields...)
	}
}

// Prune deletes the delivered events older than the retention now; the
// dispatcher does so by itself every pruneEvery.
func (d *Dispatcher) Prune(ctx context.Context) {
	before := d.now().Add(-d.retention)
	for {
		n, err := d.outbox.PruneEvents(ctx, before, pruneBatch)
		if err != nil {
			if ctx.Err() == nil {
				d.log.Warn("pruning delivered webhook events failed", zap.Error(err))
			}
			return
		}
		if n < pruneBatch {
			return
		}
	}
}
