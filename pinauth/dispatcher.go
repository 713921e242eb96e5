package pinauth

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

// dispatcher delivers the webhook outbox. It is one background goroutine
// per Gateway that claims due events from the store (a lease, so that
// every process sharing the store delivers each event once, and a node
// that dies mid-delivery leaves it to another when the lease ends), posts
// them with up to dispatchWorkers deliveries in flight, and records the
// outcome. The store hands out an account's events for one endpoint one
// at a time, oldest first, so receivers see them in order.
//
// It never runs on a request's goroutine: requests only write the outbox
// row inside their own transaction (Gateway.emit).
type dispatcher struct {
	st        store.Store
	obs       Observer
	log       *zap.Logger
	now       func() time.Time
	owner     string
	targets   map[string]*hookTarget
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
// back when the Gateway closes.
const releaseTimeout = 5 * time.Second

// startDispatcher starts delivering g's webhooks; it returns nil when none
// is configured. Stop it with stop.
func startDispatcher(g *Gateway) (*dispatcher, error) {
	if len(g.cfg.Webhooks) == 0 || g.cfg.NoDelivery {
		return nil, nil
	}
	d := &dispatcher{
		st:        g.store,
		obs:       g.obs,
		log:       g.log.Named("webhooks"),
		now:       g.now,
		owner:     dispatcherOwner(),
		targets:   map[string]*hookTarget{},
		client:    newWebhookClient(dispatchWorkers),
		poll:      g.cfg.WebhookPollInterval,
		retention: g.cfg.WebhookRetention,
		wake:      make(chan struct{}, 1),
		done:      make(chan struct{}),
	}
	var longest time.Duration
	for i := range g.cfg.Webhooks {
		t, err := newHookTarget(&g.cfg.Webhooks[i])
		if err != nil {
			return nil, fmt.Errorf("pinauth: webhook %d: %w", i+1, err)
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

// stop ends the dispatcher: no new claims, deliveries in flight are
// interrupted and their events handed back (due at once), and it returns
// when every goroutine has exited. It is safe on a nil dispatcher.
func (d *dispatcher) stop() {
	if d == nil {
		return
	}
	d.cancel()
	<-d.done
	d.client.CloseIdleConnections()
}

// nudge makes the loop look for due events now.
func (d *dispatcher) nudge() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *dispatcher) run(ctx context.Context) {
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
			d.prune(ctx)
			nextPrune = now.Add(pruneEvery)
		}
		if free := cap(busy) - len(busy); free > 0 {
			evs, err := d.st.ClaimEvents(ctx, store.EventClaim{
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
func (d *dispatcher) deliver(ctx context.Context, e store.Event) {
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
		if _, err := d.st.CompleteEvent(rctx, e.ID, now); err != nil {
			// The receiver has it; the event will be sent again when the
			// lease ends, and the receiver drops it by its webhook-id.
			d.log.Warn("webhook delivered but not recorded", append(fields, zap.Error(err))...)
			return
		}
		d.obs.WebhookDelivered(DeliverySucceeded)
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
		d.obs.WebhookDelivered(DeliveryDead)
	} else {
		d.obs.WebhookDelivered(DeliveryRetried)
	}
	found, rerr := d.st.FailEvent(rctx, e.ID, d.owner, f)
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

// prune deletes delivered events older than the retention.
func (d *dispatcher) prune(ctx context.Context) {
	before := d.now().Add(-d.retention)
	for {
		n, err := d.st.PruneEvents(ctx, before, pruneBatch)
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
