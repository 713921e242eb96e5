package tokens

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// keyRing is an immutable snapshot of the keys in use; the Manager swaps
// it atomically on load and rotation.
type keyRing struct {
	current *signingKey
	byID    map[string]*signingKey
	// jwks is the serialized JSON Web Key Set of the published keys.
	jwks []byte
	// signature identifies the stored key set the ring was built from, so
	// a reload that finds nothing new keeps the ring.
	signature string
	// nextDrop is when the next retired key leaves the ring (farFuture
	// when none will).
	nextDrop time.Time
}

// farFuture stands for "never" in the ring's times.
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// keyEncryptionKey derives the AES-256 key that encrypts stored private keys
// from a pepper, so a stolen database holds no usable signing key.
func keyEncryptionKey(p secret.Pepper) []byte { return secret.MAC(p.Key, "key encryption", "")[:32] }

func sealKey(p secret.Pepper, kid, alg string, plain []byte) []byte {
	block, _ := aes.NewCipher(keyEncryptionKey(p))
	gcm, _ := cipher.NewGCM(block)
	nonce := secret.Bytes(gcm.NonceSize())
	return gcm.Seal(nonce, nonce, plain, []byte(kid+"\x00"+alg))
}

func openKey(p secret.Pepper, kid, alg string, sealed []byte) ([]byte, error) {
	block, _ := aes.NewCipher(keyEncryptionKey(p))
	gcm, _ := cipher.NewGCM(block)
	if len(sealed) < gcm.NonceSize() {
		return nil, errors.New("sealed key too short")
	}
	return gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], []byte(kid+"\x00"+alg))
}

// buildRing decrypts the stored keys still worth keeping and chooses the
// signing key: the operator's, else the newest unretired key of the
// configured algorithm.
func (m *Manager) buildRing(stored []store.Key) (*keyRing, error) {
	now := m.now()
	ring := &keyRing{byID: map[string]*signingKey{}, signature: keySignature(stored), nextDrop: farFuture}
	sort.SliceStable(stored, func(i, j int) bool { return stored[i].CreatedAt.Before(stored[j].CreatedAt) })
	for _, sk := range stored {
		// A retired key verifies tokens until the longest access-token
		// lifetime has passed, then it is dropped.
		if !sk.RetiredAt.IsZero() {
			drop := sk.RetiredAt.Add(m.Retention())
			if !now.Before(drop) {
				continue
			}
			if drop.Before(ring.nextDrop) {
				ring.nextDrop = drop
			}
		}
		pp := m.pepperByID(sk.PepperID)
		if pp == nil {
			// Only retired keys can get here (active ones were resealed
			// by rotation in load): their tokens stop verifying.
			m.log.Warn("signing key dropped: its pepper is no longer configured", zap.String("kid", sk.ID))
			continue
		}
		material, err := openKey(*pp, sk.ID, sk.Alg, sk.Private)
		if err != nil {
			return nil, fmt.Errorf("pinauth: signing key %s cannot be decrypted with the configured pepper", sk.ID)
		}
		k, err := parseKey(sk.ID, sk.Alg, material)
		if err != nil {
			return nil, fmt.Errorf("pinauth: signing key %s: %v", sk.ID, err)
		}
		k.createdAt, k.retiredAt = sk.CreatedAt, sk.RetiredAt
		ring.byID[k.id] = k
		if k.alg == m.opt.Alg && k.retiredAt.IsZero() {
			ring.current = k
		}
	}
	if m.operatorKey != nil {
		ring.current = m.operatorKey
		ring.byID[m.operatorKey.id] = m.operatorKey
	}
	if ring.current == nil {
		return nil, errors.New("pinauth: no signing key available")
	}
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	set.Keys = []map[string]string{}
	for _, k := range ring.byID {
		if k.jwk != nil {
			set.Keys = append(set.Keys, k.jwk)
		}
	}
	sort.Slice(set.Keys, func(i, j int) bool { return set.Keys[i]["kid"] < set.Keys[j]["kid"] })
	ring.jwks, _ = json.Marshal(set)
	return ring, nil
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

func (m *Manager) pepperByID(id string) *secret.Pepper {
	for i := range m.opt.Peppers {
		if m.opt.Peppers[i].ID == id {
			return &m.opt.Peppers[i]
		}
	}
	return nil
}
