// Package tokens owns the gateway's signing keys and access tokens: the
// keys' generation, sealing and storage, their rotation across the nodes
// sharing a store, JWT issue and verification, the JWKS, the opaque
// access-token handles and the sealing of refresh tokens. It needs only a
// KeyStore and never imports the core; the core maps its errors
// (ErrExpired, ErrInvalid) to LoginRadius codes.
package tokens

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// KeyStore is the part of the store the Manager uses: the stored signing
// keys.
type KeyStore interface {
	Keys(ctx context.Context) ([]store.Key, error)
	AddKey(ctx context.Context, k store.Key, onlyIfNone bool) (inserted bool, err error)
	RetireKey(ctx context.Context, id string, at time.Time) (found bool, err error)
}

// Options configure a Manager.
type Options struct {
	// Alg is the signing algorithm (see CheckAlg).
	Alg string
	// OperatorKey, when set, signs instead of stored keys and is never
	// rotated (see ParseOperatorKey).
	OperatorKey *OperatorKey
	// Issuer is the iss of every token; Audiences are the accepted aud
	// values (the tenants' names).
	Issuer    string
	Audiences []string
	// AccessTTL is the lifetime of an access token.
	AccessTTL time.Duration
	// Rotation, when positive, rotates the signing key once it is that
	// old (see CheckRotation).
	Rotation time.Duration
	// Peppers seal the stored private keys: the first seals new keys, the
	// others still open older ones.
	Peppers []secret.Pepper
	// Now is the clock of the tokens' times; Log receives key events.
	Now func() time.Time
	Log *zap.Logger
}

// MinKeyRotation is the shortest Options.Rotation accepted.
const MinKeyRotation = time.Minute

// CheckRotation reports an error unless every is 0 (no rotation) or at
// least MinKeyRotation.
func CheckRotation(every time.Duration) error {
	if every < 0 || (every > 0 && every < MinKeyRotation) {
		return fmt.Errorf("key_rotation must be at least %v", MinKeyRotation)
	}
	return nil
}

// ErrOperatorKey is returned by Rotate when the operator configured the
// signing key: it is rotated by changing the configuration.
var ErrOperatorKey = errors.New("pinauth: signing_key is configured; rotate it by changing the configuration")

// Manager holds the signing keys in use and issues and verifies access
// tokens with them. It is safe for concurrent use.
type Manager struct {
	opt         Options
	store       KeyStore
	log         *zap.Logger
	now         func() time.Time
	keys        atomic.Pointer[keyRing]
	operatorKey *signingKey
	parser      *jwt.Parser
	validator   *jwt.Validator
	// changed wakes Run to reload the keys (see KeysChanged).
	changed chan struct{}

	// mu serializes key reloads and rotations; lastKidReload is when a
	// token with an unknown kid last caused a reload (see rotation.go).
	mu            sync.Mutex
	lastKidReload time.Time
}

// New reads the stored keys, creating the first key of the configured
// algorithm when none exists, and returns a Manager signing with it. An
// active key sealed with an older pepper is retired and replaced (pepper
// rotation): it keeps verifying its tokens while the older pepper stays
// configured.
func New(ctx context.Context, ks KeyStore, opt Options) (*Manager, error) {
	m := &Manager{opt: opt, store: ks, log: opt.Log, now: opt.Now, changed: make(chan struct{}, 1)}
	if opt.OperatorKey != nil {
		m.operatorKey = opt.OperatorKey.key
	}
	m.parser, m.validator = jwt.NewParser(m.parserOptions()...), jwt.NewValidator(m.parserOptions()...)
	stored, err := ks.Keys(ctx)
	if err != nil {
		return nil, fmt.Errorf("pinauth: read signing keys: %w", err)
	}
	for _, k := range stored {
		if !k.RetiredAt.IsZero() || k.PepperID == opt.Peppers[0].ID {
			continue
		}
		if m.pepperByID(k.PepperID) == nil {
			return nil, fmt.Errorf("pinauth: signing key %s is sealed with a pepper that is not configured (list the old pepper after the new one)", k.ID)
		}
		if _, err := ks.RetireKey(ctx, k.ID, m.now()); err != nil {
			return nil, fmt.Errorf("pinauth: retire signing key: %w", err)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.reloadLocked(ctx); err != nil {
		return nil, err
	}
	return m, nil
}

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

// ListKeys returns the signing keys stored in ks, oldest first.
func ListKeys(ctx context.Context, ks KeyStore) ([]KeyInfo, error) {
	keys, err := ks.Keys(ctx)
	if err != nil {
		return nil, fmt.Errorf("pinauth: read signing keys: %w", err)
	}
	out := make([]KeyInfo, len(keys))
	for i, k := range keys {
		out[i] = KeyInfo{ID: k.ID, Alg: k.Alg, CreatedAt: k.CreatedAt, RetiredAt: k.RetiredAt, PepperID: k.PepperID}
	}
	return out, nil
}

// Current describes the key that signs now.
func (m *Manager) Current() KeyInfo {
	cur := m.keys.Load().current
	return KeyInfo{ID: cur.id, Alg: cur.alg, CreatedAt: cur.createdAt}
}

// VerificationKey is what verifies the current key's signatures: its
// public key, or the shared secret for HS256.
func (m *Manager) VerificationKey() any { return m.keys.Load().current.public }

// JWKS is the serialized JSON Web Key Set of every key whose tokens may
// still verify (HS256 secrets are never published). It is shared: do not
// modify it.
func (m *Manager) JWKS() []byte { return m.keys.Load().jwks }

// Retention is how long a retired key keeps verifying: the longest
// access-token lifetime, plus the reload interval during which managers
// that have not seen the rotation yet may still sign with it.
func (m *Manager) Retention() time.Duration { return m.opt.AccessTTL + keyReloadInterval }

// Rotate retires the signing key and makes a new one of the configured
// algorithm the signing key, for this manager at once and for every other
// one on the store within the reload interval. It returns the retired and
// the new key. When another process rotates at the same moment, one new
// key results and both calls report it. An operator key cannot be rotated
// (ErrOperatorKey).
func (m *Manager) Rotate(ctx context.Context) (retired []KeyInfo, current KeyInfo, err error) {
	if m.operatorKey != nil {
		return nil, KeyInfo{}, ErrOperatorKey
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	retired, err = m.rotateLocked(ctx, farFuture) // an operator rotates whatever signs now
	if err != nil {
		return nil, KeyInfo{}, err
	}
	return retired, m.Current(), nil
}
