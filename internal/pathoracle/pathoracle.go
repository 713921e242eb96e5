// Package pathoracle reads the path of a request target the ways
// different upstream servers do, for the tests of the gateway's public
// path decision: a request that passes the gate anonymously must be at a
// public path however the app behind it reads the path. It is written
// apart from the gateway's own decision, from the known path-confusion
// classes (dot segments, percent-encoding of "/", "." and "\", double
// decoding, overlong UTF-8, IIS's %u, fullwidth forms, ";" path
// parameters, trailing dots and spaces, case, NUL, "#" and "?").
package pathoracle

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Reading is one way an upstream server reads a path.
type Reading struct {
	// Name says which servers read paths this way.
	Name string
	// Read returns the path the server routes on.
	Read func(p string) string
	// Fold is set for servers that route without regard to ASCII case.
	Fold bool
}

// Readings are the ways of reading a path that the tests check.
var Readings = []Reading{
	{Name: "as sent (routes on the raw path)", Read: func(p string) string { return p }},
	{Name: "RFC 3986 (dot segments, then decoding)", Read: func(p string) string { return decode(removeDotSegments(p)) }},
	{Name: "decodes, then normalizes (nginx, most frameworks)", Read: func(p string) string { return normalize(decode(p)) }},
	{Name: "decodes twice", Read: func(p string) string { return normalize(decode(decode(p))) }},
	{Name: "backslash is a separator", Read: func(p string) string { return normalize(backslashes(decode(p))) }},
	{Name: "drops ;parameters per segment (Tomcat, Jetty, Spring)", Read: func(p string) string { return normalize(decode(dropPathParams(p))) }},
	{Name: "Windows (backslash, trailing dots and spaces, any case)", Read: func(p string) string {
		return normalize(trimSegmentEnds(backslashes(decode(p))))
	}, Fold: true},
	{Name: "decodes overlong UTF-8", Read: func(p string) string { return normalize(overlong(decode(p))) }},
	{Name: "decodes IIS %u escapes", Read: func(p string) string { return normalize(decode(percentU(p))) }},
	{Name: "maps fullwidth forms to ASCII (NFKC)", Read: func(p string) string { return normalize(fullwidth(decode(p))) }},
	{Name: "any case", Read: func(p string) string { return normalize(decode(p)) }, Fold: true},
	{Name: "cuts at '#'", Read: func(p string) string { return normalize(decode(cut(p, "#"))) }},
	{Name: "decodes, then re-parses '?' and '#'", Read: func(p string) string { return normalize(cut(cut(decode(p), "?"), "#")) }},
	{Name: "cuts at NUL (C strings)", Read: func(p string) string { return normalize(cut(decode(p), "\x00")) }},
}

// Public reports whether path q is public under rules written as
// Config.Public writes them (exact paths, "/dir/" for a directory and
// everything under it, "prefix*"), comparing without ASCII case when fold
// is set. The rules must use only characters that travel unencoded, so
// that a rule reads the same raw and decoded.
func Public(rules []string, q string, fold bool) bool {
	if fold {
		q = strings.ToLower(q)
	}
	for _, r := range rules {
		if fold {
			r = strings.ToLower(r)
		}
		switch {
		case strings.HasSuffix(r, "*"):
			if strings.HasPrefix(q, strings.TrimSuffix(r, "*")) {
				return true
			}
		case strings.HasSuffix(r, "/"):
			if q+"/" == r || strings.HasPrefix(q, r) {
				return true
			}
		case q == r:
			return true
		}
	}
	return false
}

// Violations returns the readings under which p, the path of a request
// target (the part before "?") as an upstream received it, is not public.
func Violations(rules []string, p string) []string {
	var out []string
	for _, rd := range Readings {
		if q := rd.Read(p); !Public(rules, q, rd.Fold) {
			out = append(out, rd.Name+": "+strconv.Quote(q))
		}
	}
	return out
}

// decode decodes %XX escapes leniently: a "%" not followed by two hex
// digits stays as it is (as Python's unquote and many others do).
func decode(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// normalize merges repeated slashes and removes dot segments.
func normalize(s string) string {
	for strings.Contains(s, "//") {
		s = strings.ReplaceAll(s, "//", "/")
	}
	return removeDotSegments(s)
}

// removeDotSegments is RFC 3986, section 5.2.4.
func removeDotSegments(in string) string {
	var out []string
	abs := strings.HasPrefix(in, "/")
	segs := strings.Split(in, "/")
	if abs {
		segs = segs[1:]
	}
	for i, s := range segs {
		last := i == len(segs)-1
		switch s {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	res := strings.Join(out, "/")
	if abs {
		res = "/" + res
	}
	return res
}

func backslashes(s string) string { return strings.ReplaceAll(s, `\`, "/") }

func cut(s, sep string) string {
	before, _, _ := strings.Cut(s, sep)
	return before
}

// dropPathParams removes ";…" up to the next "/" in every segment.
func dropPathParams(s string) string {
	segs := strings.Split(s, "/")
	for i, seg := range segs {
		segs[i] = cut(seg, ";")
	}
	return strings.Join(segs, "/")
}

// trimSegmentEnds removes trailing dots and spaces from every segment, as
// Windows does with file names (".." stays: it is a segment, not a name).
func trimSegmentEnds(s string) string {
	segs := strings.Split(s, "/")
	for i, seg := range segs {
		if seg != "." && seg != ".." {
			segs[i] = strings.TrimRight(seg, ". ")
		}
	}
	return strings.Join(segs, "/")
}

// overlong replaces overlong UTF-8 encodings of ASCII characters (2, 3 and
// 4 bytes) with the character, as decoders that check no minimum do.
func overlong(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c&0xE0 == 0xC0 && i+1 < len(s) && cont(s[i+1]):
			if r := rune(c&0x1F)<<6 | rune(s[i+1]&0x3F); r < 0x80 {
				b.WriteByte(byte(r))
				i += 2
				continue
			}
		case c&0xF0 == 0xE0 && i+2 < len(s) && cont(s[i+1]) && cont(s[i+2]):
			if r := rune(c&0x0F)<<12 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F); r < 0x80 {
				b.WriteByte(byte(r))
				i += 3
				continue
			}
		case c&0xF8 == 0xF0 && i+3 < len(s) && cont(s[i+1]) && cont(s[i+2]) && cont(s[i+3]):
			if r := rune(c&0x07)<<18 | rune(s[i+1]&0x3F)<<12 | rune(s[i+2]&0x3F)<<6 | rune(s[i+3]&0x3F); r < 0x80 {
				b.WriteByte(byte(r))
				i += 4
				continue
			}
		}
		b.WriteByte(c)
		i++
	}
	return b.String()
}

func cont(c byte) bool { return c&0xC0 == 0x80 }

// percentU decodes IIS's %uXXXX escapes to UTF-8 (ASCII for the first 128).
func percentU(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+5 < len(s) && (s[i+1] == 'u' || s[i+1] == 'U') {
			if v, err := strconv.ParseUint(s[i+2:i+6], 16, 16); err == nil {
				b.WriteRune(rune(v))
				i += 5
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// fullwidth maps the fullwidth forms U+FF01–U+FF5E to the ASCII characters
// they stand for, as NFKC normalization does.
func fullwidth(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r >= 0xFF01 && r <= 0xFF5E {
			b.WriteByte(byte(r - 0xFF01 + '!'))
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
