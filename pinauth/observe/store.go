package observe

import (
	"context"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// StoreOp names a timed store operation.
type StoreOp uint8

// The timed store operations: the calls on request paths and the webhook
// dispatcher's. Update covers a whole transaction.
const (
	OpAccount StoreOp = iota
	OpAccountBy
	OpAttempts
	OpToken
	OpSession
	OpReserveAttempt
	OpUpdate
	OpKeys
	OpClaimEvents
	OpCompleteEvent
	OpFailEvent
)

// StoreOps lists every StoreOp, for pre-binding metric labels.
var StoreOps = []StoreOp{OpAccount, OpAccountBy, OpAttempts, OpToken, OpSession, OpReserveAttempt,
	OpUpdate, OpKeys, OpClaimEvents, OpCompleteEvent, OpFailEvent}

func (op StoreOp) String() string {
	return [...]string{"account", "account_by", "attempts", "token", "session", "reserve_attempt",
		"update", "keys", "claim_events", "complete_event", "fail_event"}[op]
}

// TimedStore wraps s so that the operations named by StoreOp report their
// duration to o; the others pass through untimed.
func TimedStore(s store.Store, o Observer) store.Store {
	return timedStore{Store: s, obs: o}
}

// timedStore times the store operations of a gateway for its Observer.
// Operations it does not override pass through untimed.
type timedStore struct {
	store.Store
	obs Observer
}

func (s timedStore) done(op StoreOp, start time.Time, err error) {
	s.obs.StoreCall(op, time.Since(start), err != nil)
}

// Account implements store.Reader.
func (s timedStore) Account(ctx context.Context, tenant, uid string) (store.Account, bool, error) {
	start := time.Now()
	a, found, err := s.Store.Account(ctx, tenant, uid)
	s.done(OpAccount, start, err)
	return a, found, err
}

// AccountBy implements store.Reader.
func (s timedStore) AccountBy(ctx context.Context, tenant string, kind store.IdentifierKind, value string) (store.Account, bool, error) {
	start := time.Now()
	a, found, err := s.Store.AccountBy(ctx, tenant, kind, value)
	s.done(OpAccountBy, start, err)
	return a, found, err
}

// Attempts implements store.Reader.
func (s timedStore) Attempts(ctx context.Context, ref store.AccountRef) (store.Attempts, bool, error) {
	start := time.Now()
	a, found, err := s.Store.Attempts(ctx, ref)
	s.done(OpAttempts, start, err)
	return a, found, err
}

// Token implements store.Reader.
func (s timedStore) Token(ctx context.Context, kind store.TokenKind, hash string) (store.Token, bool, error) {
	start := time.Now()
	t, found, err := s.Store.Token(ctx, kind, hash)
	s.done(OpToken, start, err)
	return t, found, err
}

// LiveSessionToken implements store.Reader (timed as a token read).
func (s timedStore) LiveSessionToken(ctx context.Context, sessionID string, kind store.TokenKind, now time.Time) (store.Token, bool, error) {
	start := time.Now()
	t, found, err := s.Store.LiveSessionToken(ctx, sessionID, kind, now)
	s.done(OpToken, start, err)
	return t, found, err
}

// Session implements store.Reader.
func (s timedStore) Session(ctx context.Context, id string) (store.Session, bool, error) {
	start := time.Now()
	v, found, err := s.Store.Session(ctx, id)
	s.done(OpSession, start, err)
	return v, found, err
}

// ReserveAttempt implements store.Store.
func (s timedStore) ReserveAttempt(ctx context.Context, ref store.AccountRef, p store.AttemptPolicy, now time.Time) (store.AttemptResult, error) {
	start := time.Now()
	r, err := s.Store.ReserveAttempt(ctx, ref, p, now)
	s.done(OpReserveAttempt, start, err)
	return r, err
}

// Update implements store.Store.
func (s timedStore) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	start := time.Now()
	err := s.Store.Update(ctx, fn)
	s.done(OpUpdate, start, err)
	return err
}

// Keys implements store.Reader.
func (s timedStore) Keys(ctx context.Context) ([]store.Key, error) {
	start := time.Now()
	k, err := s.Store.Keys(ctx)
	s.done(OpKeys, start, err)
	return k, err
}

// ClaimEvents implements store.Store.
func (s timedStore) ClaimEvents(ctx context.Context, c store.EventClaim) ([]store.Event, error) {
	start := time.Now()
	evs, err := s.Store.ClaimEvents(ctx, c)
	s.done(OpClaimEvents, start, err)
	return evs, err
}

// CompleteEvent implements store.Store.
func (s timedStore) CompleteEvent(ctx context.Context, id string, now time.Time) (bool, error) {
	start := time.Now()
	found, err := s.Store.CompleteEvent(ctx, id, now)
	s.done(OpCompleteEvent, start, err)
	return found, err
}

// FailEvent implements store.Store.
func (s timedStore) FailEvent(ctx context.Context, id, owner string, f store.EventFailure) (bool, error) {
	start := time.Now()
	found, err := s.Store.FailEvent(ctx, id, owner, f)
	s.done(OpFailEvent, start, err)
	return found, err
}
