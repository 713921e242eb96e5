package lrprofile

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"unicode"
	"unicode/utf8"
)

// Profile text is one line of printable characters. A profile value reaches
// places that give a control character a meaning: an identity header
// (FullName becomes X-Auth-Name, and "Gina\r\nX-Auth-Uid: victim" is an
// invalid header value that fails every proxied request of the account
// with 502), the {http.auth.user.*} placeholders, mails, logs and the
// CSV or JSON exports of apps. So every string a write stores in an
// account (profile values at any depth, their keys, emails, the user name,
// roles) is refused with 1134 when it holds one, on every write path: the
// management API, the caller's own profile update, the operator's Admin
// (and so the CLI) and the import.

// HasControl reports whether s is not valid UTF-8 or holds a control
// character: C0 (NUL, tab, CR, LF …), DEL, C1 (NEL …), or the Unicode line
// and paragraph separators.
func HasControl(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return true
		}
		i += size
	}
	return false
}

// MsgControlChars is the field error of a value holding a control
// character.
const MsgControlChars = "The value must be printable text on one line: no control characters (line breaks, tabs, NUL, DEL)."

// JSONHasControl reports whether a JSON value holds a control character
// in any string or object key, at any depth. Invalid JSON reports true:
// callers have checked validity, so that only happens to hostile input.
func JSONHasControl(v json.RawMessage) bool {
	if !utf8.Valid(v) {
		// The decoder would read invalid bytes as U+FFFD, but the
		// profile keeps the raw text.
		return true
	}
	if bytes.IndexByte(v, '\\') < 0 && !bytes.ContainsFunc(v, func(r rune) bool { return r >= 0x7f }) {
		// No escape and nothing beyond ASCII: the raw text is the text,
		// and valid JSON carries no raw C0 control inside a string.
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(v))
	for {
		tok, err := dec.Token()
		if err != nil {
			return !errors.Is(err, io.EOF)
		}
		if s, ok := tok.(string); ok && HasControl(s) {
			return true
		}
	}
}
