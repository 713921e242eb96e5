package apireq

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// FoldKey returns the form in which parameter names and JSON keys are
// compared: two names fold alike exactly when strings.EqualFold calls them
// equal, which is also how encoding/json matches keys to fields. ASCII
// names fold to lower case, so callers compare with lower-case constants.
//
// strings.ToLower is not that relation: encoding/json takes "paſſword"
// (long s) for Password, and "σ" and "ς" for each other, where ToLower
// keeps them apart, so a duplicate key could slip past a check made with
// ToLower while the decoder still used it.
func FoldKey(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			ascii = false
			break
		}
	}
	if ascii {
		return s // the common case: already folded, no allocation
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		// An invalid byte decodes as utf8.RuneError, as it does for
		// strings.EqualFold and for encoding/json, which reads it as
		// U+FFFD.
		b.WriteRune(foldRune(r))
		i += size
	}
	return b.String()
}

// foldRune is the representative of r's case-folding orbit (the runes
// unicode.SimpleFold cycles through): its smallest member, lower-cased when
// that is an ASCII letter.
func foldRune(r rune) rune {
	min := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < min {
			min = f
		}
	}
	if 'A' <= min && min <= 'Z' {
		min += 'a' - 'A'
	}
	return min
}
