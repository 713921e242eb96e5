// Package secret holds the gateway's small cryptographic helpers:
// randomness from crypto/rand, opaque tokens and their stored hashes, the
// configured peppers and the keyed MAC derived from them, and a
// constant-time string comparison. It imports nothing of the gateway.
package secret

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
)

// Bytes returns n bytes from crypto/rand. crypto/rand.Read never fails on
// supported platforms (it panics rather than return short reads).
func Bytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// Hex returns n random bytes as hex.
func Hex(n int) string { return hex.EncodeToString(Bytes(n)) }

// NewToken returns a random version-4 UUID string (122 random bits), the
// shape LoginRadius SDKs expect for session, refresh and reset tokens.
func NewToken() string { return FormatUUID4(Bytes(16)) }

// FormatUUID4 formats 16 bytes as a lowercase version-4 UUID, overwriting
// the six version and variant bits.
func FormatUUID4(b []byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:16])
	return string(s[:])
}

// TokenHash is how opaque tokens are stored and looked up: hex SHA-256 of
// the value. Tokens carry 122 random bits, so a plain hash suffices; short
// codes (OTPs) use a keyed hash instead (MAC).
func TokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
