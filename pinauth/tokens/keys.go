package tokens

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
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
	// mac is the gateway MAC key derived from the private key, and pin
	// what pins its signatures' spelling: set for Ed25519 keys only (see
	// gatewaymac.go).
	mac []byte
	pin *sigPin
	// shape is the header of its MAC-carrying tokens (macpath.go).
	shape macHeaderShape
	// macState is the MAC keyed with mac, kid "." written.
	macState *presetMAC
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
			if err := k.withMAC(material, newSigPin(p)); err != nil {
				return nil, err
			}
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

// OperatorKey is a signing key the operator configured (signing_key): it
// signs instead of the stored keys and is never rotated.
type OperatorKey struct{ key *signingKey }

// ParseOperatorKey reads a signing_key value: PEM for asymmetric
// algorithms, the secret itself for HS256. Its kid is derived from the key
// so every node computes the same one. Errors never include key material.
func ParseOperatorKey(alg, value string) (*OperatorKey, error) {
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
	return &OperatorKey{key: k}, nil
}

// ID is the key's kid.
func (o *OperatorKey) ID() string { return o.key.id }

// Sign signs claims as a gateway configured with this key signs its
// access tokens (kid and gateway MAC included). The bench mints its
// tokens with it.
func (o *OperatorKey) Sign(claims jwt.Claims) (string, error) { return o.key.sign(claims) }

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

// newKid returns a random key id.
func newKid() string { return base64.RawURLEncoding.EncodeToString(secret.Bytes(12)) }
