// Package hashing hashes and verifies the secrets of accounts (PINs,
// passwords, security answers) with argon2id over a peppered HMAC, bounds
// the hashes in flight with a queue that is fair per client, and reads the
// scheme a stored hash records. It knows nothing of the gateway: the core
// says which client a hash is for and what a full queue answers.
package hashing

import (
	"context"
	"crypto/subtle"
	"errors"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"golang.org/x/crypto/argon2"
)

// Hasher hashes and verifies PINs, passwords and security answers with
// argon2id over HMAC-SHA256(pepper, secret), so a stolen database alone does
// not allow offline guessing of 4-digit PINs. A semaphore bounds hashes in
// flight (each holds MemoryKiB of RAM and a core), and queues the rest
// fairly per client (slots). It is safe for concurrent use.
type Hasher struct {
	params       Params
	peppers      []secret.Pepper
	slots        *slots
	queueTimeout time.Duration
	// onWait is told how long each acquisition waited.
	onWait func(time.Duration)
	// dummy is a hash of a random secret, verified for unknown accounts so
	// their cost equals a real check and timing does not reveal them.
	dummy string
}

// Options configure a Hasher.
type Options struct {
	// Params is the cost of new hashes.
	Params Params
	// Peppers are the server-side secrets mixed into every hash: the
	// first hashes, all verify. At least one.
	Peppers []secret.Pepper
	// MaxConcurrent bounds the hashes in flight.
	MaxConcurrent int
	// QueueTimeout bounds how long a hash waits for a slot.
	QueueTimeout time.Duration
	// OnWait, when set, is told how long each slot acquisition waited.
	OnWait func(time.Duration)
}

// ErrQueueFull is returned when no hashing slot frees up within the
// queue timeout; clients get a 503.
var ErrQueueFull = errors.New("pinauth: hashing queue full")

// The lengths of a hash's salt and key, in bytes.
const (
	SaltLen = 16
	KeyLen  = 32
)

// New returns a Hasher for opt; it hashes a random secret once for the
// dummy VerifyDummy checks against (not reported to OnWait).
func New(opt Options) (*Hasher, error) {
	h := &Hasher{
		params:       opt.Params,
		peppers:      opt.Peppers,
		slots:        newSlots(opt.MaxConcurrent),
		queueTimeout: opt.QueueTimeout,
	}
	dummy, err := h.Hash(context.Background(), "", secret.Hex(16))
	if err != nil {
		return nil, err
	}
	h.dummy, h.onWait = dummy, opt.OnWait
	return h, nil
}

// Acquire takes a hashing slot for client (a ratelimit.Key), waiting at
// most the queue timeout: ErrQueueFull when none frees up in time, ctx's
// error when ctx ends first.
func (h *Hasher) Acquire(ctx context.Context, client string) error {
	waited, err := h.slots.acquire(ctx, client, h.queueTimeout)
	if h.onWait != nil {
		h.onWait(waited)
	}
	return err
}

// Release gives back client's hashing slot.
func (h *Hasher) Release(client string) { h.slots.release(client) }

// QueueState reports the hashing queue's state: requests waiting for a
// slot, slots in use, and slots in all.
func (h *Hasher) QueueState() (waiting, inUse, capacity int) { return h.slots.state() }

// Hash returns the encoded hash of plain (a PIN, password or answer) with
// the current pepper and parameters, taking a hashing slot for client (a
// ratelimit.Key).
func (h *Hasher) Hash(ctx context.Context, client, plain string) (string, error) {
	salt := secret.Bytes(SaltLen)
	pp := h.peppers[0]
	if err := h.Acquire(ctx, client); err != nil {
		return "", err
	}
	key := argon2.IDKey(secret.MAC(pp.Key, "secret", plain), salt, h.params.Time, h.params.MemoryKiB, h.params.Threads, KeyLen)
	h.Release(client)
	return encodeHash(h.params, pp.ID, salt, key), nil
}

// VerifyHeld compares plain with an encoded hash in constant time; the
// caller holds a hashing slot. rehash is true when the hash used an older
// pepper or other parameters and should be replaced by Hash(plain) after
// the successful check. An empty or malformed hash (an account without a
// PIN, say) is checked against the dummy so it costs the same, and never
// matches.
func (h *Hasher) VerifyHeld(encoded, plain string) (ok, rehash bool) {
	p, pepperID, salt, want, err := decodeHash(encoded)
	var pp *secret.Pepper
	for i := range h.peppers {
		if h.peppers[i].ID == pepperID {
			pp = &h.peppers[i]
			break
		}
	}
	valid := err == nil && pp != nil
	if !valid {
		p, _, salt, want, _ = decodeHash(h.dummy)
		pp = &h.peppers[0]
	}
	got := argon2.IDKey(secret.MAC(pp.Key, "secret", plain), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want)))
	ok = subtle.ConstantTimeCompare(got, want) == 1 && valid
	return ok, ok && (pp != &h.peppers[0] || p != h.params)
}

// VerifyDummy checks plain against the dummy hash, which never matches,
// so a check without a real hash (an unknown account) costs the same as
// one with it. The caller holds a hashing slot.
func (h *Hasher) VerifyDummy(plain string) { h.VerifyHeld(h.dummy, plain) }

// PepperID is the public id of a pepper, as hashes and sealed signing keys
// record it (k=… in a hash).
func PepperID(pepper string) string { return secret.NewPeppers([]string{pepper})[0].ID }
