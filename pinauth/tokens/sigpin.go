package tokens

import (
	"crypto/ed25519"
	"crypto/sha512"
	"crypto/subtle"

	"filippo.io/edwards25519"
)

// sigPin tells, without a public-key operation, whether a signature is
// the one an Ed25519 key makes of a message. Ed25519 signing is
// deterministic: the signature R || S of M has r = H(prefix || M) and
// S = r + H(R || A || M)·a (RFC 8032, 5.1.6). Holding the private scalar
// a and the prefix, a node recomputes S for the received R with two
// SHA-512 and one scalar multiply-add, about a hundredth of a
// verification. A received R other than the genuine one gives another
// S, which only a holder of a could compute, so the one spelling of a
// token survives the gateway MAC (which does not cover the signature).
// This is not a signature check (R is never tested against r·B): the
// gateway MAC authenticates the token; sigPin only refuses a signature
// segment that was changed.
type sigPin struct {
	a      *edwards25519.Scalar
	prefix []byte
	public []byte
}

// newSigPin is the sigPin of an Ed25519 private key.
func newSigPin(p ed25519.PrivateKey) *sigPin {
	h := sha512.Sum512(p.Seed())
	a, err := new(edwards25519.Scalar).SetBytesWithClamping(h[:32])
	if err != nil {
		return nil
	}
	return &sigPin{a: a, prefix: h[32:], public: p[32:]}
}

// matches reports whether sig is the key's signature of msg, comparing in
// constant time.
func (p *sigPin) matches(msg string, sig []byte) bool {
	if len(sig) != ed25519.SignatureSize {
		return false
	}
	// One copy of the message for both hashes (the digest takes bytes).
	m := []byte(msg)
	var digest [sha512.Size]byte
	h := sha512.New()
	h.Write(p.prefix)
	h.Write(m)
	r, err := new(edwards25519.Scalar).SetUniformBytes(h.Sum(digest[:0]))
	if err != nil {
		return false
	}
	h.Reset()
	h.Write(sig[:32])
	h.Write(p.public)
	h.Write(m)
	k, err := new(edwards25519.Scalar).SetUniformBytes(h.Sum(digest[:0]))
	if err != nil {
		return false
	}
	s := new(edwards25519.Scalar).MultiplyAdd(k, p.a, r)
	return subtle.ConstantTimeCompare(s.Bytes(), sig[32:]) == 1
}
