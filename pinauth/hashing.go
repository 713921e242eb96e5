package pinauth

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"golang.org/x/crypto/argon2"
)

// hasher hashes and verifies PINs, passwords and security answers with
// argon2id over HMAC-SHA256(pepper, secret), so a stolen database alone does
// not allow offline guessing of 4-digit PINs. A semaphore bounds hashes in
// flight (each holds MemoryKiB of RAM and a core), and queues the rest
// fairly per client (hashSlots).
type hasher struct {
	params       HashParams
	peppers      []secret.Pepper
	slots        *hashSlots
	queueTimeout time.Duration
	// obs is told how long each acquisition waited.
	obs Observer
	// dummy is a hash of a random secret, verified for unknown accounts so
	// their cost equals a real check and timing does not reveal them.
	dummy string
}

// ErrHashQueueFull is returned when no hashing slot frees up within the
// queue timeout; clients get a 503.
var ErrHashQueueFull = errors.New("pinauth: hashing queue full")

const (
	hashSaltLen = 16
	hashKeyLen  = 32
)

func newHasher(p HashParams, peppers []secret.Pepper, maxConcurrent int, queueTimeout time.Duration) (*hasher, error) {
	h := &hasher{
		params:       p,
		peppers:      peppers,
		slots:        newHashSlots(maxConcurrent),
		queueTimeout: queueTimeout,
	}
	dummy, err := h.hash(context.Background(), "", secret.Hex(16))
	if err != nil {
		return nil, err
	}
	h.dummy = dummy
	return h, nil
}

// acquire takes a hashing slot for client (a rateKey), waiting at most
// queueTimeout.
func (h *hasher) acquire(ctx context.Context, client string) error {
	waited, err := h.slots.acquire(ctx, client, h.queueTimeout)
	h.observeWait(waited)
	return err
}

// release gives back client's hashing slot.
func (h *hasher) release(client string) { h.slots.release(client) }

// observeWait reports a wait (the dummy hash at start-up has no observer).
func (h *hasher) observeWait(d time.Duration) {
	if h.obs != nil {
		h.obs.HashWaited(d)
	}
}

// hash returns the encoded hash of plain (a PIN, password or answer) with
// the current pepper and parameters, taking a hashing slot for client (a
// rateKey).
func (h *hasher) hash(ctx context.Context, client, plain string) (string, error) {
	salt := secret.Bytes(hashSaltLen)
	pp := h.peppers[0]
	if err := h.acquire(ctx, client); err != nil {
		return "", err
	}
	key := argon2.IDKey(secret.MAC(pp.Key, "secret", plain), salt, h.params.Time, h.params.MemoryKiB, h.params.Threads, hashKeyLen)
	h.release(client)
	return encodeHash(h.params, pp.ID, salt, key), nil
}

// verifyHeld compares plain with an encoded hash in constant time; the
// caller holds a hashing slot. rehash is true when the hash used an older
// pepper or other parameters and should be replaced by hash(plain) after
// the successful check. An empty or malformed hash (an account without a
// PIN, say) is checked against the dummy so it costs the same, and never
// matches.
func (h *hasher) verifyHeld(encoded, plain string) (ok, rehash bool) {
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

// encodeHash formats a hash as
// $argon2id$v=19$m=<KiB>,t=<time>,p=<threads>,k=<pepper id>$<salt>$<key>.
func encodeHash(p HashParams, pepperID string, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d,k=%s$%s$%s", argon2.Version,
		p.MemoryKiB, p.Time, p.Threads, pepperID,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// decodeHash parses encodeHash's format.
func decodeHash(s string) (p HashParams, pepperID string, salt, key []byte, err error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 {
		return p, "", nil, nil, errors.New("not an argon2id hash")
	}
	if p, pepperID, err = parseScheme(parts[1:4]); err != nil {
		return p, "", nil, nil, err
	}
	if salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil {
		return p, "", nil, nil, err
	}
	if key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(key) < 16 {
		return p, "", nil, nil, errors.New("bad argon2id key")
	}
	return p, pepperID, salt, key, nil
}

// ParseHashScheme reads the cost and pepper id of a hash scheme
// (store.HashScheme of a hash the core made):
// $argon2id$v=19$m=<KiB>,t=<time>,p=<threads>,k=<pepper id>.
func ParseHashScheme(scheme string) (p HashParams, pepperID string, err error) {
	parts := strings.Split(scheme, "$")
	if len(parts) != 4 || parts[0] != "" {
		return p, "", errors.New("not an argon2id hash scheme")
	}
	return parseScheme(parts[1:])
}

// parseScheme reads the algorithm, version and parameter fields of a hash.
func parseScheme(f []string) (p HashParams, pepperID string, err error) {
	if f[0] != "argon2id" || f[1] != fmt.Sprintf("v=%d", argon2.Version) {
		return p, "", errors.New("not an argon2id hash")
	}
	var threads uint32
	n, scanErr := fmt.Sscanf(f[2], "m=%d,t=%d,p=%d,k=%s", &p.MemoryKiB, &p.Time, &threads, &pepperID)
	if scanErr != nil || n != 4 || threads == 0 || threads > 255 || p.Time == 0 || p.MemoryKiB == 0 {
		return p, "", errors.New("bad argon2id parameters")
	}
	p.Threads = uint8(threads)
	return p, pepperID, nil
}

// PepperID is the public id of a pepper, as hashes and sealed signing keys
// record it (k=… in a hash).
func PepperID(pepper string) string { return secret.NewPeppers([]string{pepper})[0].ID }
