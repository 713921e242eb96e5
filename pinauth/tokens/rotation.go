package tokens

import (
	"context"
	"crypto/x509"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// Key rotation without downtime. A rotation retires the signing key and
// stores a new one; every manager on the store then signs with the new key
// and keeps verifying tokens of the retired one until they have all
// expired, after which the retired key leaves the ring and the JWKS.
//
// Managers learn of a rotation made elsewhere (the CLI, another node) in
// three ways: the store's announcement (KeysChanged), a token whose kid
// they do not know, which makes them reload the keys at once (at most once
// per unknownKidReloadEvery, so made-up kids cannot flood the store), and
// a timer that reloads them every keyReloadInterval, so that they sign
// with the new key soon after it appears.
const (
	// keyReloadInterval bounds how long a manager signs with a key that
	// another process has retired.
	keyReloadInterval = 5 * time.Second
	// unknownKidReloadEvery rate-limits reloads caused by unknown kids.
	unknownKidReloadEvery = time.Second
	// minKeyCheckWait keeps the key timer from spinning when the clock
	// does not move (or a rotation keeps failing).
	minKeyCheckWait = time.Second
)

// rotateLocked retires the active keys of the configured algorithm created
// at or before due, as the store has them now, and adds a new key only if
// no active key exists then. Two rotators racing both retire the same old
// key (retiring is idempotent) and only one of their new keys is stored,
// so a cluster whose nodes all rotate rotates once. due keeps a node that
// decided to rotate on a ring read just before another node rotated from
// retiring the key that node has just made. Callers hold mu.
func (m *Manager) rotateLocked(ctx context.Context, due time.Time) ([]KeyInfo, error) {
	stored, err := m.store.Keys(ctx)
	if err != nil {
		return nil, fmt.Errorf("pinauth: read signing keys: %w", err)
	}
	now := m.now()
	var retired []KeyInfo
	for _, k := range stored {
		if k.Alg != m.opt.Alg || !k.RetiredAt.IsZero() || k.CreatedAt.After(due) {
			continue
		}
		if _, err := m.store.RetireKey(ctx, k.ID, now); err != nil {
			return nil, fmt.Errorf("pinauth: retire signing key: %w", err)
		}
		retired = append(retired, KeyInfo{ID: k.ID, Alg: k.Alg, CreatedAt: k.CreatedAt, RetiredAt: now})
	}
	if err := m.addGeneratedKey(ctx); err != nil {
		return nil, err
	}
	return retired, m.reloadLocked(ctx)
}

// addGeneratedKey generates, seals and stores a key of the configured
// algorithm, only when no active one is stored.
func (m *Manager) addGeneratedKey(ctx context.Context) error {
	alg, pepper := m.opt.Alg, m.opt.Peppers[0]
	material, err := generateKey(alg)
	if err != nil {
		return fmt.Errorf("pinauth: generate signing key: %w", err)
	}
	kid := newKid()
	k, err := parseKey(kid, alg, material)
	if err != nil {
		return err
	}
	var public []byte
	if alg != AlgHS256 {
		if public, err = x509.MarshalPKIXPublicKey(k.public); err != nil {
			return err
		}
	}
	_, err = m.store.AddKey(ctx, store.Key{
		ID: kid, Alg: alg, Private: sealKey(pepper, kid, alg, material),
		Public: public, PepperID: pepper.ID, CreatedAt: m.now(),
	}, true)
	if err != nil {
		return fmt.Errorf("pinauth: store signing key: %w", err)
	}
	return nil
}

func hasActiveKey(keys []store.Key, alg string) bool {
	for _, k := range keys {
		if k.Alg == alg && k.RetiredAt.IsZero() {
			return true
		}
	}
	return false
}

// reloadLocked reads the stored keys and installs a new ring when they
// changed or a retired key's time is up. A store without an active key of
// the configured algorithm (a rotation interrupted between retiring and
// adding, or a first start) gets one. Callers hold mu.
func (m *Manager) reloadLocked(ctx context.Context) error {
	stored, err := m.store.Keys(ctx)
	if err != nil {
		return fmt.Errorf("pinauth: read signing keys: %w", err)
	}
	if m.operatorKey == nil && !hasActiveKey(stored, m.opt.Alg) {
		if err := m.addGeneratedKey(ctx); err != nil {
			return err
		}
		if stored, err = m.store.Keys(ctx); err != nil {
			return fmt.Errorf("pinauth: read signing keys: %w", err)
		}
	}
	if cur := m.keys.Load(); cur != nil && cur.signature == keySignature(stored) && m.now().Before(cur.nextDrop) {
		return nil
	}
	ring, err := m.buildRing(stored)
	if err != nil {
		return err
	}
	m.keys.Store(ring)
	return nil
}

// reloadForKid is called when a token names a kid the ring before does
// not hold: another process may have rotated. It reloads unless the ring
// changed meanwhile or a reload for an unknown kid ran less than
// unknownKidReloadEvery ago (real time: this bounds store load, not
// expiry), and reports whether the ring differs from before.
func (m *Manager) reloadForKid(ctx context.Context, before *keyRing) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.keys.Load() != before {
		return true
	}
	if time.Since(m.lastKidReload) < unknownKidReloadEvery {
		return false
	}
	m.lastKidReload = time.Now()
	if err := m.reloadLocked(ctx); err != nil {
		m.log.Warn("signing key reload failed", zap.Error(err))
		return false
	}
	return m.keys.Load() != before
}

// KeysChanged asks Run to reload the keys now (the store announced a
// change); calls made while one is pending are folded into it. It never
// blocks: the reload runs in Run, not in the caller, since the store's
// announcement of this manager's own rotation can arrive while it holds
// its lock.
func (m *Manager) KeysChanged() {
	select {
	case m.changed <- struct{}{}:
	default:
	}
}

// Run reloads the keys every keyReloadInterval (sooner when a retired
// key's time is up or a rotation is due, and at once after KeysChanged)
// until ctx ends.
func (m *Manager) Run(ctx context.Context) {
	for {
		t := time.NewTimer(m.nextCheck())
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-m.changed:
			t.Stop()
		}
		m.Maintain(ctx)
	}
}

// nextCheck is how long Run sleeps.
func (m *Manager) nextCheck() time.Duration {
	ring, now := m.keys.Load(), m.now()
	wait := min(keyReloadInterval, ring.nextDrop.Sub(now))
	if m.opt.Rotation > 0 && m.operatorKey == nil {
		wait = min(wait, ring.current.createdAt.Add(m.opt.Rotation).Sub(now))
	}
	return max(wait, minKeyCheckWait)
}

// Maintain does what one round of Run does: it reloads the keys and, with
// Options.Rotation set, rotates the signing key once it is that old.
// Failures are logged.
func (m *Manager) Maintain(ctx context.Context) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.reloadLocked(ctx); err != nil {
		if ctx.Err() == nil {
			m.log.Warn("signing key reload failed", zap.Error(err))
		}
		return
	}
	if m.opt.Rotation <= 0 || m.operatorKey != nil {
		return
	}
	cur := m.keys.Load().current
	if m.now().Before(cur.createdAt.Add(m.opt.Rotation)) {
		return
	}
	retired, err := m.rotateLocked(ctx, m.now().Add(-m.opt.Rotation))
	if err != nil {
		if ctx.Err() == nil {
			m.log.Warn("signing key rotation failed", zap.Error(err))
		}
		return
	}
	if len(retired) == 0 {
		return // another node rotated first; the reload picked its key up
	}
	m.log.Info("signing key rotated", zap.String("retired_kid", cur.id), zap.String("kid", m.keys.Load().current.id))
}
