package tokens

import (
	"encoding/json"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
)

// The claims of a token on the gateway-MAC path, decoded without
// reflection (issue 22): encoding/json plus golang-jwt's date and
// audience types decoding each value a second time were about half of an
// uncached verification. Only the spelling json.Marshal gives the
// gateway's own Claims is decoded here (its keys, once each, in its
// order; no space; strings without escapes; dates as plain integers);
// anything else, however valid, goes to encoding/json, so every input
// decodes to exactly what it did before. FuzzGatewayClaims holds the two
// to the same result.

// decodeClaims decodes a token's claims segment into c, which must be
// zero, as json.Unmarshal does.
func decodeClaims(b []byte, c *Claims) error {
	if decodeGatewayClaims(b, c) {
		return nil
	}
	*c = Claims{}
	return json.Unmarshal(b, c)
}

// claimKeys are the claims' keys in the order json.Marshal writes them.
var claimKeys = [...]string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid", "idn"}

// profileKeys are Profile's keys in the order json.Marshal writes them.
var profileKeys = [...]string{"em", "un", "nm", "ro", "tg"}

// decodeGatewayClaims decodes b into c when b is in the gateway's own
// spelling and reports whether it was; c may be partly written when not.
func decodeGatewayClaims(b []byte, c *Claims) bool {
	// One string for the whole segment: every decoded string is a slice
	// of it, so the claims cost one allocation for all their text.
	d := claimsReader{s: string(b)}
	ok := d.object(claimKeys[:], func(key string) (ok bool) {
		switch key {
		case "iss":
			c.Issuer, ok = d.str()
		case "sub":
			c.Subject, ok = d.str()
		case "aud":
			var aud []string
			aud, ok = d.strs()
			c.Audience = aud
		case "exp":
			c.ExpiresAt, ok = d.date()
		case "nbf":
			c.NotBefore, ok = d.date()
		case "iat":
			c.IssuedAt, ok = d.date()
		case "jti":
			c.ID, ok = d.str()
		case "sid":
			c.SID, ok = d.str()
		case "idn":
			c.Profile, ok = d.profile()
		}
		return ok
	})
	return ok && d.i == len(d.s)
}

// claimsReader reads the gateway's spelling of claims from s at i.
type claimsReader struct {
	s string
	i int
}

// byte consumes the byte want, reporting whether it was next.
func (d *claimsReader) byte(want byte) bool {
	if d.i < len(d.s) && d.s[d.i] == want {
		d.i++
		return true
	}
	return false
}

// object reads an object whose keys are among keys, each at most once
// and in their order, calling value after each key to read its value.
func (d *claimsReader) object(keys []string, value func(key string) bool) bool {
	if !d.byte('{') {
		return false
	}
	if d.byte('}') {
		return true
	}
	for {
		key, ok := d.str()
		if !ok || !d.byte(':') {
			return false
		}
		i := 0
		for i < len(keys) && keys[i] != key {
			i++
		}
		if i == len(keys) || !value(key) {
			return false
		}
		keys = keys[i+1:]
		if d.byte('}') {
			return true
		}
		if !d.byte(',') {
			return false
		}
	}
}

// str reads a string without escapes whose bytes are valid UTF-8 (what
// json.Unmarshal would decode to the same bytes).
func (d *claimsReader) str() (string, bool) {
	if !d.byte('"') {
		return "", false
	}
	start := d.i
	for d.i < len(d.s) {
		switch c := d.s[d.i]; {
		case c == '"':
			v := d.s[start:d.i]
			d.i++
			return v, utf8.ValidString(v)
		case c == '\\' || c < 0x20:
			return "", false
		}
		d.i++
	}
	return "", false
}

// strs reads a non-empty array of strings.
func (d *claimsReader) strs() ([]string, bool) {
	if !d.byte('[') {
		return nil, false
	}
	var v []string
	for {
		s, ok := d.str()
		if !ok {
			return nil, false
		}
		v = append(v, s)
		if d.byte(']') {
			return v, true
		}
		if !d.byte(',') {
			return nil, false
		}
	}
}

// maxDateDigits keeps a date exact as the float64 golang-jwt reads it as.
const maxDateDigits = 15

// date reads a NumericDate spelled as a plain non-negative integer, to
// the value golang-jwt's UnmarshalJSON gives it.
func (d *claimsReader) date() (*jwt.NumericDate, bool) {
	start := d.i
	var n int64
	for d.i < len(d.s) && '0' <= d.s[d.i] && d.s[d.i] <= '9' {
		n = n*10 + int64(d.s[d.i]-'0')
		d.i++
	}
	digits := d.i - start
	if digits == 0 || digits > maxDateDigits || digits > 1 && d.s[start] == '0' {
		return nil, false
	}
	return jwt.NewNumericDate(time.Unix(n, 0)), true
}

// profile reads the idn claim.
func (d *claimsReader) profile() (*Profile, bool) {
	p := new(Profile)
	ok := d.object(profileKeys[:], func(key string) (ok bool) {
		switch key {
		case "em":
			p.Email, ok = d.str()
		case "un":
			p.Username, ok = d.str()
		case "nm":
			p.Name, ok = d.str()
		case "ro":
			p.Roles, ok = d.strs()
		case "tg":
			p.Tag, ok = d.str()
		}
		return ok
	})
	return p, ok
}
