package secret

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// Pepper is one configured pepper with its public id. The id is stored
// beside what the pepper protects (hashes, sealed keys and tokens), so a
// rotation can tell which pepper to use; the key never leaves memory.
type Pepper struct {
	ID  string
	Key []byte
}

// NewPeppers derives ids for the configured peppers (current first).
func NewPeppers(secrets []string) []Pepper {
	ps := make([]Pepper, len(secrets))
	for i, s := range secrets {
		sum := sha256.Sum256([]byte("pinauth pepper id\x00" + s))
		ps[i] = Pepper{ID: hex.EncodeToString(sum[:4]), Key: []byte(s)}
	}
	return ps
}

// MAC returns HMAC-SHA256(key, label || 0 || msg). The label separates the
// uses of one key (hashing, sealing, cookies…).
func MAC(key []byte, label, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(label))
	m.Write([]byte{0})
	m.Write([]byte(msg))
	return m.Sum(nil)
}
