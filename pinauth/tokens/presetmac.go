package tokens

import (
	"crypto/hmac"
	"crypto/sha256"
	"hash"
	"io"
)

// presetMAC is HMAC-SHA256 under one key with a fixed prefix already
// written: every MAC of a verification starts from a copy of that state
// instead of keying a new HMAC (two SHA-256 blocks and about ten
// allocations each time). The result is the HMAC of prefix || message,
// byte for byte.
type presetMAC struct {
	key    []byte
	prefix string
	base   hash.Cloner // nil if the HMAC cannot be copied
}

// newPresetMAC keys the HMAC with key and writes prefix.
func newPresetMAC(key []byte, prefix string) *presetMAC {
	p := &presetMAC{key: key, prefix: prefix}
	h := p.fresh()
	p.base, _ = h.(hash.Cloner)
	return p
}

// fresh is a new HMAC keyed and primed from scratch.
func (p *presetMAC) fresh() hash.Hash {
	h := hmac.New(sha256.New, p.key)
	io.WriteString(h, p.prefix)
	return h
}

// start is an HMAC in the state after the prefix, ready for the message.
// The base state is only read, so concurrent callers are safe.
func (p *presetMAC) start() hash.Hash {
	if p.base != nil {
		if h, err := p.base.Clone(); err == nil {
			return h
		}
	}
	return p.fresh()
}
