package pinauth

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// Key rotation without downtime. A rotation retires the signing key and
// stores a new one; every gateway on the store then signs with the new key
// and keeps verifying tokens of the retired one until they have all
// expired, after which the retired key leaves the ring and the JWKS.
//
// Gateways learn of a rotation made elsewhere (the CLI, another node) in
// two ways: a token whose kid they do not know makes them reload the keys
// at once (at most once per unknownKidReloadEvery, so made-up kids cannot
// flood the store), and a timer reloads them every keyReloadInterval, so
// that they sign with the new key soon after it appears.
const (
	// keyReloadInterval bounds how long a gateway signs with a key that
	// another process has retired.
	keyReloadInterval = 5 * time.Second
	// unknownKidReloadEvery rate-limits reloads caused by unknown kids.
	unknownKidReloadEvery = time.Second
	// minKeyCheckWait keeps the key timer from spinning when the clock
	// does not move (or a rotation keeps failing).
	minKeyCheckWait = time.Second
)

// MinKeyRotation is the shortest Config.KeyRotation accepted.
const MinKeyRotation = time.Minute

// ErrOperatorKey is returned by RotateKey when the operator configured the
// signing key: it is rotated by changing the configuration.
var ErrOperatorKey = errors.New("pinauth: signing_key is configured; rotate it by changing the configuration")

// keyRetention is how long a retired key keeps verifying: the longest
// access-token lifetime, plus the reload interval during which gateways
// that have not seen the rotation yet may still sign with it.
func (g *Gateway) keyRetention() time.Duration { return g.cfg.AccessTTL + keyReloadInterval }

// KeyInfo describes a stored signing key, never its material.
type KeyInfo struct {
	// ID is the JWT kid.
	ID  string
	Alg string
	// CreatedAt is when the key was generated.
	CreatedAt time.Time
	// RetiredAt is when the key stopped signing; zero while it signs.
	RetiredAt time.Time
	// PepperID names the pepper whose derived key seals the private key.
	PepperID string
}

// ListKeys returns the signing keys stored in st, oldest first.
func ListKeys(ctx context.Context, st store.Store) ([]KeyInfo, error) {
	keys, err := st.Keys(ctx)
	if err != nil {
		return nil, fmt.Errorf("pinauth: read signing keys: %w", err)
	}
	out := make([]KeyInfo, len(keys))
	for i, k := range keys {
		out[i] = KeyInfo{ID: k.ID, Alg: k.Alg, CreatedAt: k.CreatedAt, RetiredAt: k.RetiredAt, PepperID: k.PepperID}
	}
	return out, nil
}

// rotateLocked retires the active keys of the configured algorithm created
// at or before due, as the store has them now, and adds a new key only if
// no active key exists then. Two rotators racing both retire the same old
// key (retiring is idempotent) and only one of their new keys is stored,
// so a cluster whose nodes all run key_rotation rotates once. due keeps a
// node that decided to rotate on a ring read just before another node
// rotated from retiring the key that node has just made. Callers hold
// keyMu.
func (g *Gateway) rotateLocked(ctx context.Context, due time.Time) ([]KeyInfo, error) {
	stored, err := g.store.Keys(ctx)
	if err != nil {
		return nil, fmt.Errorf("pinauth: read signing keys: %w", err)
	}
	now := g.now()
	var retired []KeyInfo
	for _, k := range stored {
		if k.Alg != g.cfg.SigningAlg || !k.RetiredAt.IsZero() || k.CreatedAt.After(due) {
			continue
		}
		if _, err := g.store.RetireKey(ctx, k.ID, now); err != nil {
			return nil, fmt.Errorf("pinauth: retire signing key: %w", err)
		}
		retired = append(retired, KeyInfo{ID: k.ID, Alg: k.Alg, CreatedAt: k.CreatedAt, RetiredAt: now})
	}
	if err := g.addGeneratedKey(ctx, true); err != nil {
		return nil, err
	}
	return retired, g.reloadKeysLocked(ctx)
}

// reloadKeysLocked reads the stored keys and installs a new ring when they
// changed or a retired key's time is up. A store without an active key of
// the configured algorithm (a rotation interrupted between retiring and
// adding) gets one. Callers hold keyMu.
func (g *Gateway) reloadKeysLocked(ctx context.Context) error {
	stored, err := g.store.Keys(ctx)
	if err != nil {
		return fmt.Errorf("pinauth: read signing keys: %w", err)
	}
	if g.operatorKey == nil && !hasActiveKey(stored, g.cfg.SigningAlg) {
		if err := g.addGeneratedKey(ctx, true); err != nil {
			return err
		}
		if stored, err = g.store.Keys(ctx); err != nil {
			return fmt.Errorf("pinauth: read signing keys: %w", err)
		}
	}
	if cur := g.keys.Load(); cur != nil && cur.signature == keySignature(stored) && g.now().Before(cur.nextDrop) {
		return nil
	}
	ring, err := g.buildRing(stored)
	if err != nil {
		return err
	}
	g.keys.Store(ring)
	return nil
}

// keySignature identifies a stored key set by what a ring depends on.
func keySignature(keys []store.Key) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.ID + "/" + k.Alg + "/" + k.PepperID + "/" + k.RetiredAt.UTC().Format(time.RFC3339Nano)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// reloadKeysForKid is called when a token names a kid the ring before does
// not hold: another process may have rotated. It reloads unless the ring
// changed meanwhile or a reload for an unknown kid ran less than
// unknownKidReloadEvery ago (real time: this bounds store load, not
// expiry), and reports whether the ring differs from before.
func (g *Gateway) reloadKeysForKid(ctx context.Context, before *keyRing) bool {
	g.keyMu.Lock()
	defer g.keyMu.Unlock()
	if g.keys.Load() != before {
		return true
	}
	if time.Since(g.lastKidReload) < unknownKidReloadEvery {
		return false
	}
	g.lastKidReload = time.Now()
	if err := g.reloadKeysLocked(ctx); err != nil {
		g.log.Warn("signing key reload failed", zap.Error(err))
		return false
	}
	return g.keys.Load() != before
}

// keyLoop reloads the keys every keyReloadInterval (sooner when a retired
// key's time is up or a rotation is due, and at once when the store
// announces a key change) until ctx ends.
func (g *Gateway) keyLoop(ctx context.Context) {
	defer g.bg.Done()
	for {
		t := time.NewTimer(g.nextKeyCheck())
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-g.coherence.keysChanged:
			t.Stop()
		}
		g.maintainKeys(ctx)
	}
}

// nextKeyCheck is how long keyLoop sleeps.
func (g *Gateway) nextKeyCheck() time.Duration {
	ring, now := g.keys.Load(), g.now()
	wait := min(keyReloadInterval, ring.nextDrop.Sub(now))
	if g.cfg.KeyRotation > 0 && g.operatorKey == nil {
		wait = min(wait, ring.current.createdAt.Add(g.cfg.KeyRotation).Sub(now))
	}
	return max(wait, minKeyCheckWait)
}

// maintainKeys reloads the keys and, with KeyRotation set, rotates the
// signing key once it is KeyRotation old.
func (g *Gateway) maintainKeys(ctx context.Context) {
	g.keyMu.Lock()
	defer g.keyMu.Unlock()
	if err := g.reloadKeysLocked(ctx); err != nil {
		if ctx.Err() == nil {
			g.log.Warn("signing key reload failed", zap.Error(err))
		}
		return
	}
	if g.cfg.KeyRotation <= 0 || g.operatorKey != nil {
		return
	}
	cur := g.keys.Load().current
	if g.now().Before(cur.createdAt.Add(g.cfg.KeyRotation)) {
		return
	}
	retired, err := g.rotateLocked(ctx, g.now().Add(-g.cfg.KeyRotation))
	if err != nil {
		if ctx.Err() == nil {
			g.log.Warn("signing key rotation failed", zap.Error(err))
		}
		return
	}
	if len(retired) == 0 {
		return // another node rotated first; the reload picked its key up
	}
	g.log.Info("signing key rotated", zap.String("retired_kid", cur.id), zap.String("kid", g.keys.Load().current.id))
}
