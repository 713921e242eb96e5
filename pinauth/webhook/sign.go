package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

const (
	// minKey is the shortest HMAC key accepted, as the Standard Webhooks
	// specification requires of signing secrets.
	minKey = 24
	// secretPrefix marks a secret serialised the Standard Webhooks way:
	// the key is the base64 text after it.
	secretPrefix = "whsec_"
)

// signingKey returns the HMAC-SHA256 key of a webhook secret. A secret
// starting with "whsec_" is the Standard Webhooks serialisation: the key
// is the base64 decoding of the rest (what the Standard Webhooks libraries
// use). Any other secret is used as its own bytes. Either way the key must
// have at least 24 bytes. Errors never contain the secret.
func signingKey(secret string) ([]byte, error) {
	key := []byte(secret)
	if rest, ok := strings.CutPrefix(secret, secretPrefix); ok {
		var err error
		if key, err = base64.StdEncoding.DecodeString(rest); err != nil {
			if key, err = base64.RawStdEncoding.DecodeString(rest); err != nil {
				return nil, errors.New("a whsec_ secret must be followed by standard base64")
			}
		}
	}
	if len(key) < minKey {
		return nil, fmt.Errorf("the signing key must have at least %d bytes", minKey)
	}
	return key, nil
}

// sign returns the Standard Webhooks signature header value: "v1," and
// the base64 HMAC-SHA256, under key, of id "." timestamp "." body, where
// timestamp is the Unix time in decimal seconds.
func sign(key []byte, id string, timestamp int64, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write(strconv.AppendInt(nil, timestamp, 10))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}
