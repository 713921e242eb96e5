package hashing

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// encodeHash formats a hash as
// $argon2id$v=19$m=<KiB>,t=<time>,p=<threads>,k=<pepper id>$<salt>$<key>.
func encodeHash(p Params, pepperID string, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d,k=%s$%s$%s", argon2.Version,
		p.MemoryKiB, p.Time, p.Threads, pepperID,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// decodeHash parses encodeHash's format.
func decodeHash(s string) (p Params, pepperID string, salt, key []byte, err error) {
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

// ParseScheme reads the cost and pepper id of a hash scheme
// (store.HashScheme of a hash the core made):
// $argon2id$v=19$m=<KiB>,t=<time>,p=<threads>,k=<pepper id>.
func ParseScheme(scheme string) (p Params, pepperID string, err error) {
	parts := strings.Split(scheme, "$")
	if len(parts) != 4 || parts[0] != "" {
		return p, "", errors.New("not an argon2id hash scheme")
	}
	return parseScheme(parts[1:])
}

// parseScheme reads the algorithm, version and parameter fields of a hash.
func parseScheme(f []string) (p Params, pepperID string, err error) {
	if f[0] != Algorithm || f[1] != fmt.Sprintf("v=%d", argon2.Version) {
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
