package pinauth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
)

// randomBytes returns n bytes from crypto/rand. crypto/rand.Read never
// fails on supported platforms (it panics rather than return short reads).
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// randomHex returns n random bytes as hex.
func randomHex(n int) string { return hex.EncodeToString(randomBytes(n)) }

// newOpaqueToken returns a random version-4 UUID string (122 random bits),
// the shape LoginRadius SDKs expect for session, refresh and reset tokens.
func newOpaqueToken() string { return formatUUID4(randomBytes(16)) }

// formatUUID4 formats 16 bytes as a lowercase version-4 UUID, overwriting
// the six version and variant bits.
func formatUUID4(b []byte) string {
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

// newUID returns a new account uid: 32 lowercase hex digits, as LoginRadius
// formats Uid.
func newUID() string { return randomHex(16) }

// tokenHash is how opaque tokens are stored and looked up: hex SHA-256 of
// the value. Tokens carry 122 random bits, so a plain hash suffices; short
// codes (OTPs) use a keyed hash instead.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
