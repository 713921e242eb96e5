package lrprofile

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
)

// Profile is a rendered profile (View). It encodes as
// encoding/json encodes a map (keys sorted, HTML characters escaped), but
// without reflection: a profile carries LoginRadius's hundred and forty
// fields, mostly null, on every login and profile answer.
type Profile map[string]any

// profileViewKeys are the keys every View sets, sorted once.
var profileViewKeys = func() []string {
	keys := []string{"Uid", "ID", "Email", "UserName", "PhoneId", "Roles", "IsActive", "IsDeleted",
		"EmailVerified", "IsLoginLocked", "LoginLockedType", "NoOfLogins", "LastLoginDate",
		"LastLoginLocation", "CreatedDate", "ModifiedDate", "SignupDate", "FirstLogin", "PIN"}
	for _, f := range profileFields {
		keys = append(keys, f.Name)
	}
	for k := range profileOutputFields {
		keys = append(keys, k)
	}
	for k := range derivedProfileFields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}()

var profileViewKeySet = func() map[string]bool {
	m := make(map[string]bool, len(profileViewKeys))
	for _, k := range profileViewKeys {
		m[k] = true
	}
	return m
}()

// sortedKeys returns p's keys in order: the known ones presorted, merged
// with the few others (a client's own fields).
func (p Profile) sortedKeys() []string {
	var others []string
	for k := range p {
		if !profileViewKeySet[k] {
			others = append(others, k)
		}
	}
	slices.Sort(others)
	keys := make([]string, 0, len(p))
	i := 0
	for _, k := range profileViewKeys {
		for i < len(others) && others[i] < k {
			keys = append(keys, others[i])
			i++
		}
		if _, ok := p[k]; ok {
			keys = append(keys, k)
		}
	}
	return append(keys, others[i:]...)
}

// MarshalJSON implements json.Marshaler.
func (p Profile) MarshalJSON() ([]byte, error) {
	if p == nil {
		return []byte("null"), nil // as encoding/json writes a nil map
	}
	keys := p.sortedKeys()
	var buf bytes.Buffer
	buf.Grow(24 * len(keys))
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := writeJSONString(&buf, k); err != nil {
			return nil, err
		}
		buf.WriteByte(':')
		switch v := p[k].(type) {
		case nil:
			buf.WriteString("null")
		case bool:
			buf.WriteString(strconv.FormatBool(v))
		case int:
			buf.WriteString(strconv.Itoa(v))
		case string:
			if err := writeJSONString(&buf, v); err != nil {
				return nil, err
			}
		case json.RawMessage:
			// Compact and escape as encoding/json does for a RawMessage.
			var c bytes.Buffer
			if err := json.Compact(&c, v); err != nil {
				return nil, err
			}
			json.HTMLEscape(&buf, c.Bytes())
		default:
			b, err := json.Marshal(v)
			if err != nil {
				return nil, err
			}
			buf.Write(b)
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// writeJSONString writes s as a JSON string: plain ASCII as is, anything
// else through encoding/json (which escapes it as everywhere else).
func writeJSONString(buf *bytes.Buffer, s string) error {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, err := json.Marshal(s)
			buf.Write(b)
			return err
		}
	}
	buf.WriteByte('"')
	buf.WriteString(s)
	buf.WriteByte('"')
	return nil
}
