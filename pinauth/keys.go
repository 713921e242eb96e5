package pinauth

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// signingKey is a usable JWT key.
type signingKey struct {
	id        string
	alg       string
	method    jwt.SigningMethod
	private   any // ed25519.PrivateKey, *ecdsa.PrivateKey, *rsa.PrivateKey or []byte
	public    any // the matching public key, or []byte for HS256
	jwk       map[string]string
	createdAt time.Time
	retiredAt time.Time
}

// keyRing is an immutable snapshot of the keys in use; the Gateway swaps it
// atomically on load and rotation.
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

// generateKey creates a new private key for alg, serialized as PKCS#8 DER
// (or 32 random bytes for HS256).
func generateKey(alg string) ([]byte, error) {
	var priv any
	var err error
	switch alg {
	case AlgEdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case AlgES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case AlgRS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case AlgHS256:
		return secret.Bytes(32), nil
	default:
		return nil, fmt.Errorf("unsupported algorithm %q", alg)
	}
	if err != nil {
		return nil, err
	}
	return x509.MarshalPKCS8PrivateKey(priv)
}

// parseKey turns serialized key material into a signingKey.
func parseKey(kid, alg string, material []byte) (*signingKey, error) {
	k := &signingKey{id: kid, alg: alg, method: jwt.GetSigningMethod(alg)}
	if k.method == nil {
		return nil, fmt.Errorf("unsupported algorithm %q", alg)
	}
	if alg == AlgHS256 {
		if len(material) < 32 {
			return nil, errors.New("HS256 secret must be at least 32 bytes")
		}
		k.private, k.public = material, material
		return k, nil
	}
	priv, err := x509.ParsePKCS8PrivateKey(material)
	if err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	var ok bool
	switch alg {
	case AlgEdDSA:
		var p ed25519.PrivateKey
		if p, ok = priv.(ed25519.PrivateKey); ok {
			k.private, k.public = p, p.Public()
		}
	case AlgES256:
		var p *ecdsa.PrivateKey
		if p, ok = priv.(*ecdsa.PrivateKey); ok && p.Curve == elliptic.P256() {
			k.private, k.public = p, &p.PublicKey
		} else {
			ok = false
		}
	case AlgRS256:
		var p *rsa.PrivateKey
		if p, ok = priv.(*rsa.PrivateKey); ok && p.N.BitLen() >= 2048 {
			k.private, k.public = p, &p.PublicKey
		} else {
			ok = false
		}
	}
	if !ok {
		return nil, fmt.Errorf("the key does not suit %s", alg)
	}
	k.jwk, err = publicJWK(kid, alg, k.public)
	return k, err
}

// parseOperatorKey reads a signing_key value: PEM for asymmetric
// algorithms, the secret itself for HS256. Its kid is derived from the key
// so every node computes the same one. Errors never include key material.
func parseOperatorKey(alg, value string) (*signingKey, error) {
	material := []byte(value)
	if alg != AlgHS256 {
		block, _ := pem.Decode(material)
		if block == nil {
			return nil, errors.New("pinauth: signing_key is not a PEM private key")
		}
		material = block.Bytes
	}
	sum := sha256.Sum256(append([]byte("pinauth kid\x00"+alg+"\x00"), material...))
	k, err := parseKey(base64.RawURLEncoding.EncodeToString(sum[:12]), alg, material)
	if err != nil {
		return nil, fmt.Errorf("pinauth: signing_key: %v", err)
	}
	return k, nil
}

// publicJWK returns the JWK of a public key.
func publicJWK(kid, alg string, pub any) (map[string]string, error) {
	b64 := base64.RawURLEncoding.EncodeToString
	j := map[string]string{"kid": kid, "alg": alg, "use": "sig"}
	switch p := pub.(type) {
	case ed25519.PublicKey:
		j["kty"], j["crv"], j["x"] = "OKP", "Ed25519", b64(p)
	case *ecdsa.PublicKey:
		e, err := p.ECDH()
		if err != nil {
			return nil, err
		}
		raw := e.Bytes() // 0x04 || X || Y
		j["kty"], j["crv"], j["x"], j["y"] = "EC", "P-256", b64(raw[1:33]), b64(raw[33:])
	case *rsa.PublicKey:
		j["kty"], j["n"], j["e"] = "RSA", b64(p.N.Bytes()), b64(big.NewInt(int64(p.E)).Bytes())
	default:
		return nil, fmt.Errorf("no JWK for %T", pub)
	}
	return j, nil
}

// loadKeys reads the stored keys, creating the first key of the configured
// algorithm when none exists, and installs a new key ring. An active key
// sealed with an older pepper is retired and replaced (pepper rotation): it
// keeps verifying its tokens while the older pepper stays configured.
func (g *Gateway) loadKeys(ctx context.Context) error {
	stored, err := g.store.Keys(ctx)
	if err != nil {
		return fmt.Errorf("pinauth: read signing keys: %w", err)
	}
	for _, k := range stored {
		if !k.RetiredAt.IsZero() || k.PepperID == g.peppers[0].ID {
			continue
		}
		if g.pepperByID(k.PepperID) == nil {
			return fmt.Errorf("pinauth: signing key %s is sealed with a pepper that is not configured (list the old pepper after the new one)", k.ID)
		}
		if _, err := g.store.RetireKey(ctx, k.ID, g.now()); err != nil {
			return fmt.Errorf("pinauth: retire signing key: %w", err)
		}
	}
	g.keyMu.Lock()
	defer g.keyMu.Unlock()
	return g.reloadKeysLocked(ctx)
}

func hasActiveKey(keys []store.Key, alg string) bool {
	for _, k := range keys {
		if k.Alg == alg && k.RetiredAt.IsZero() {
			return true
		}
	}
	return false
}

// addGeneratedKey generates, seals and stores a key of the configured
// algorithm (only when none is active, with onlyIfNone).
func (g *Gateway) addGeneratedKey(ctx context.Context, onlyIfNone bool) error {
	material, err := generateKey(g.cfg.SigningAlg)
	if err != nil {
		return fmt.Errorf("pinauth: generate signing key: %w", err)
	}
	kid := newKid()
	k, err := parseKey(kid, g.cfg.SigningAlg, material)
	if err != nil {
		return err
	}
	var public []byte
	if g.cfg.SigningAlg != AlgHS256 {
		if public, err = x509.MarshalPKIXPublicKey(k.public); err != nil {
			return err
		}
	}
	_, err = g.store.AddKey(ctx, store.Key{
		ID: kid, Alg: g.cfg.SigningAlg, Private: sealKey(g.peppers[0], kid, g.cfg.SigningAlg, material),
		Public: public, PepperID: g.peppers[0].ID, CreatedAt: g.now(),
	}, onlyIfNone)
	if err != nil {
		return fmt.Errorf("pinauth: store signing key: %w", err)
	}
	return nil
}

// newKid returns a random key id.
func newKid() string { return base64.RawURLEncoding.EncodeToString(secret.Bytes(12)) }

// buildRing decrypts the stored keys still worth keeping and chooses the
// signing key: the operator's, else the newest unretired key of the
// configured algorithm.
func (g *Gateway) buildRing(stored []store.Key) (*keyRing, error) {
	now := g.now()
	ring := &keyRing{byID: map[string]*signingKey{}, signature: keySignature(stored), nextDrop: farFuture}
	sort.SliceStable(stored, func(i, j int) bool { return stored[i].CreatedAt.Before(stored[j].CreatedAt) })
	for _, sk := range stored {
		// A retired key verifies tokens until the longest access-token
		// lifetime has passed, then it is dropped.
		if !sk.RetiredAt.IsZero() {
			drop := sk.RetiredAt.Add(g.keyRetention())
			if !now.Before(drop) {
				continue
			}
			if drop.Before(ring.nextDrop) {
				ring.nextDrop = drop
			}
		}
		pp := g.pepperByID(sk.PepperID)
		if pp == nil {
			// Only retired keys can get here (active ones were resealed
			// by rotation in loadKeys): their tokens stop verifying.
			g.log.Warn("signing key dropped: its pepper is no longer configured", zap.String("kid", sk.ID))
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
		if k.alg == g.cfg.SigningAlg && k.retiredAt.IsZero() {
			ring.current = k
		}
	}
	if g.operatorKey != nil {
		ring.current = g.operatorKey
		ring.byID[g.operatorKey.id] = g.operatorKey
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

func (g *Gateway) pepperByID(id string) *secret.Pepper {
	for i := range g.peppers {
		if g.peppers[i].ID == id {
			return &g.peppers[i]
		}
	}
	return nil
}
