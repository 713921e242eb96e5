package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/subscribers"
)

// Invalidations travel as NOTIFY payloads on one channel. pg_notify inside
// the transaction that makes a change is delivered when, and only if, it
// commits, to every session listening in the database, in commit order.

// channel is the NOTIFY channel of invalidations.
const channel = "pinauth_invalidate"

// maxPayload keeps a payload well under PostgreSQL's 8000-byte limit.
const maxPayload = 7000

const (
	// pingInterval is how long the listener waits for a notification
	// before it checks that its connection still works: a silently lost
	// connection would otherwise look like a quiet cluster.
	pingInterval = 15 * time.Second
	// minRetryDelay and maxRetryDelay bound the pause between attempts
	// to reconnect the listener.
	minRetryDelay = 50 * time.Millisecond
	maxRetryDelay = 2 * time.Second
)

// wireInvalidation is the payload form of a store.Invalidation.
type wireInvalidation struct {
	Tenant   string   `json:"t,omitempty"`
	UID      string   `json:"u,omitempty"`
	Sessions []string `json:"s,omitempty"`
	Keys     bool     `json:"k,omitempty"`
	Reset    bool     `json:"r,omitempty"`
}

const (
	keysPayload  = `{"k":true}`
	resetPayload = `{"r":true}`
)

// encodeInvalidation returns the payloads announcing inv: the account (or
// keys, reset) in one, the sessions in as many as their ids need. What
// cannot be said within the size limit is announced as a reset, which
// subscribers handle by dropping everything: safe, if costly.
func encodeInvalidation(inv store.Invalidation) []string {
	var out []string
	if inv.Account != (store.AccountRef{}) || inv.Keys || inv.Reset {
		b, _ := json.Marshal(wireInvalidation{Tenant: inv.Account.Tenant, UID: inv.Account.UID, Keys: inv.Keys, Reset: inv.Reset})
		out = append(out, string(b))
	}
	var chunk []string
	size := 0
	flush := func() {
		if len(chunk) > 0 {
			b, _ := json.Marshal(wireInvalidation{Sessions: chunk})
			out = append(out, string(b))
			chunk, size = nil, 0
		}
	}
	for _, id := range inv.Sessions {
		b, _ := json.Marshal(id)
		if size+len(b)+16 > maxPayload {
			flush()
		}
		chunk = append(chunk, id)
		size += len(b) + 1
	}
	flush()
	for i, p := range out {
		if len(p) > maxPayload {
			out[i] = resetPayload
		}
	}
	return out
}

// decodeInvalidation reads a payload. One it cannot read (from a newer
// version, say) is treated as a reset.
func decodeInvalidation(payload string) store.Invalidation {
	var w wireInvalidation
	if err := json.Unmarshal([]byte(payload), &w); err != nil {
		return store.Invalidation{Reset: true}
	}
	return store.Invalidation{
		Account:  store.AccountRef{Tenant: w.Tenant, UID: w.UID},
		Sessions: w.Sessions,
		Keys:     w.Keys,
		Reset:    w.Reset,
	}
}

// Announce implements sqlstore.Conn: the invalidation is sent with the
// commit.
func (x *txn) Announce(inv store.Invalidation) {
	x.pending = append(x.pending, encodeInvalidation(inv)...)
}

// notify queues payloads in tx, in one statement.
func (s *Store) notify(ctx context.Context, tx pgx.Tx, payloads []string) error {
	if len(payloads) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p`, channel, payloads)
	return err
}

// Subscribe implements store.Store. The first subscription starts the
// listener: a dedicated connection (outside the pool) that LISTENs,
// reconnects by itself with a short backoff, and delivers Reset after each
// (re)connection because it cannot know what it missed. Subscribe returns
// once the listener is listening, or after the connect and query timeouts
// when the database cannot be reached (a Reset follows when it can).
func (s *Store) Subscribe(ctx context.Context, fn func(store.Invalidation)) {
	if s.closed.Load() || ctx.Err() != nil {
		return
	}
	up, ok := s.lis.add(ctx, fn)
	if !ok {
		return
	}
	t := time.NewTimer(s.connConfig.ConnectTimeout + s.queryTimeout)
	defer t.Stop()
	select {
	case <-up:
	case <-t.C:
	case <-ctx.Done():
	}
}

// listener owns the LISTEN connection and the subscriptions.
type listener struct {
	s    *Store
	subs subscribers.List

	mu      sync.Mutex
	running bool
	stopped bool
	cancel  context.CancelFunc
	done    chan struct{}
	// up is closed while the connection listens; a new one replaces it
	// when the connection is lost.
	up chan struct{}
}

func (l *listener) init(s *Store) {
	l.s = s
	l.up = make(chan struct{})
}

// add registers a subscription, starts the listener if it is not running,
// and returns the channel that is closed while it listens. ok is false
// after stop.
func (l *listener) add(ctx context.Context, fn func(store.Invalidation)) (up <-chan struct{}, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped {
		return nil, false
	}
	l.subs.Add(ctx, fn)
	if !l.running {
		l.running = true
		runCtx, cancel := context.WithCancel(context.Background())
		l.cancel, l.done = cancel, make(chan struct{})
		go l.run(runCtx)
	}
	return l.up, true
}

// stop ends the listener and waits for it.
func (l *listener) stop() {
	l.mu.Lock()
	l.stopped = true
	running := l.running
	l.mu.Unlock()
	if running {
		l.cancel()
		<-l.done
	}
}

func (l *listener) setUp(listening bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-l.up:
		if !listening {
			l.up = make(chan struct{})
		}
	default:
		if listening {
			close(l.up)
		}
	}
}

// run keeps a listening connection until ctx ends.
func (l *listener) run(ctx context.Context) {
	defer close(l.done)
	delay := minRetryDelay
	lost := false
	for {
		conn, err := l.connect(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if !lost {
				lost = true
				l.s.log.Warn("store notifications unavailable", zap.Error(err))
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(delay):
			}
			delay = min(2*delay, maxRetryDelay)
			continue
		}
		if lost {
			lost = false
			l.s.log.Info("store notifications restored")
		}
		delay = minRetryDelay
		// Whatever changed while nobody listened went unannounced. The
		// Reset goes out before Subscribe calls waiting for the
		// connection return, so a new subscriber never gets it late.
		l.subs.Deliver(store.Invalidation{Reset: true})
		l.setUp(true)
		err = l.receive(ctx, conn)
		l.setUp(false)
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn.Close(closeCtx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		lost = true
		l.s.log.Warn("store notifications interrupted; reconnecting", zap.Error(err))
	}
}

// connect opens the dedicated connection and starts listening.
func (l *listener) connect(ctx context.Context) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, l.s.connConfig.ConnectTimeout+l.s.queryTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, l.s.connConfig)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, `LISTEN `+channel); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return conn, nil
}

// receive delivers notifications until the connection fails or ctx ends.
func (l *listener) receive(ctx context.Context, conn *pgx.Conn) error {
	for {
		wait, cancel := context.WithTimeout(ctx, pingInterval)
		n, err := conn.WaitForNotification(wait)
		cancel()
		if err == nil {
			l.subs.Deliver(decodeInvalidation(n.Payload))
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !errors.Is(err, context.DeadlineExceeded) || conn.IsClosed() {
			return err
		}
		// Quiet for a while: make sure the connection still works.
		ping, cancel := context.WithTimeout(ctx, l.s.queryTimeout)
		err = conn.Ping(ping)
		cancel()
		if err != nil {
			return err
		}
	}
}
