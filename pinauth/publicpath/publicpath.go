// Package publicpath decides which request paths an anonymous request may
// reach: the public rules of a gateway, held and matched in the one
// canonical form of a path that every app reads the same way.
package publicpath

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Public paths. The gate and the app behind it must read a path the same
// way, or an anonymous request passes the gate as /healthz and reaches
// the app as /admin: /admin/../healthz, /admin%2f..%2fhealthz,
// /healthz/..;/admin (Tomcat drops ";…" from each segment),
// /static/..%5cadmin (backslash as separator), %252e%252e (a second
// decoding), %c0%ae (overlong UTF-8), /admin. (Windows drops trailing
// dots)… Apps differ in every one of these, and reverse_proxy cleans
// nothing: it sends the request-target on as the client wrote it.
//
// So a path is public only in its one canonical form, which every app
// reads the same way; any other spelling is protected (it needs a token,
// like every path not listed), never refused and never rewritten, so
// authenticated requests reach the app exactly as sent, encoded slashes
// included. The canonical form of a path, as it travels on the request
// line:
//   - it starts with "/" and is at most MaxLen bytes;
//   - no empty segment (no "//"; a trailing "/" is fine) and no segment
//     that ends in "." or a space ("." and ".." included);
//   - letters, digits and -._~!$&'()*+,=:@ as themselves; the printable
//     characters that cannot travel as themselves (space "<>[]^`{|}) as
//     %XX with upper-case hex; nothing else: no ";", "\", "%", "?" or "#"
//     in any form, no encoded "/" or ".", no encoding of a character that
//     needs none, no control character, nothing outside ASCII.
// Matching is byte for byte, so case counts: /HEALTHZ is not /healthz.
// The rules are held in the same form.

// MaxLen bounds the length of a public path. Longer ones are
// protected: nothing legitimate needs them anonymously, and some servers
// truncate or refuse them.
const MaxLen = 4096

// Rules are the configured public rules, in canonical form. The zero
// Rules makes nothing public.
type Rules struct {
	exact    []string
	prefixes []string
}

// New parses the public rules: exact paths, prefixes ending in "*", and
// directories ending in "/" (the directory itself and everything under
// it). A rule that could never match a request is an error (Validate).
func New(rules []string) (Rules, error) {
	var pp Rules
	for _, rule := range rules {
		if err := Validate(rule); err != nil {
			return pp, err
		}
		base, star := strings.CutSuffix(rule, "*")
		enc := encodePublicPath(base)
		switch {
		case star:
			pp.prefixes = append(pp.prefixes, enc)
		case strings.HasSuffix(enc, "/"):
			pp.prefixes = append(pp.prefixes, enc)
			if enc != "/" {
				pp.exact = append(pp.exact, strings.TrimSuffix(enc, "/"))
			}
		default:
			pp.exact = append(pp.exact, enc)
		}
	}
	return pp, nil
}

// Validate reports why a public rule could never match a
// request (nil when it can): it must start with "/", and the path it names
// (without a trailing "*") must be canonical, since only canonical paths
// are public.
func Validate(rule string) error {
	if !strings.HasPrefix(rule, "/") {
		return fmt.Errorf("public: path %q must start with /", rule)
	}
	base, star := strings.CutSuffix(rule, "*")
	for i := 0; i < len(base); i++ {
		if c := base[i]; c != '/' && !rawPathByte(c) && !encodedPathByte(c) {
			return fmt.Errorf("public: path %q contains %q: only printable ASCII other than ; \\ %% ? # may be public", rule, c)
		}
	}
	check := encodePublicPath(base)
	if star {
		// A prefix may end in the middle of a segment.
		check += "x"
	}
	if !canonicalPath(check) {
		return fmt.Errorf("public: path %q has an empty, dot or trailing-dot segment or is too long: no request could match it", rule)
	}
	return nil
}

// Allows reports whether a request may reach the upstream without a
// valid access token under these rules. method and target are the
// request's method and request-target exactly as the upstream will
// receive them: for Caddy's reverse_proxy that is r.URL.RequestURI(), what
// Go's transport writes on the request line (it cleans nothing). A target
// is public when its path is canonical and matches a rule; the query never
// matters, and CONNECT is never public.
func (pp *Rules) Allows(method, target string) bool {
	if len(pp.exact) == 0 && len(pp.prefixes) == 0 || method == http.MethodConnect {
		return false
	}
	// Parse as Go's server does and take the origin form Go's transport
	// sends: an absolute-form target travels on without scheme and host,
	// an opaque one as itself (and is not a path).
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return false
	}
	p, _, _ := strings.Cut(u.RequestURI(), "?")
	return canonicalPath(p) && pp.match(p)
}

// match reports whether the canonical path p matches a rule.
func (pp *Rules) match(p string) bool {
	for _, e := range pp.exact {
		if p == e {
			return true
		}
	}
	for _, pre := range pp.prefixes {
		if strings.HasPrefix(p, pre) {
			return true
		}
	}
	return false
}

// canonicalPath reports whether p, a path as written on a request line,
// is in canonical form (see above).
func canonicalPath(p string) bool {
	if len(p) == 0 || p[0] != '/' || len(p) > MaxLen {
		return false
	}
	segLen, last := 0, byte(0)
	for i := 1; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '/':
			if segLen == 0 || last == '.' || last == ' ' {
				return false
			}
			segLen = 0
			continue
		case c == '%':
			if i+2 >= len(p) {
				return false
			}
			b, ok := upperHexByte(p[i+1], p[i+2])
			if !ok || !encodedPathByte(b) {
				return false
			}
			c, i = b, i+2
		case !rawPathByte(c):
			return false
		}
		segLen++
		last = c
	}
	return segLen == 0 || (last != '.' && last != ' ')
}

// rawPathByte reports whether c travels as itself in a canonical path:
// RFC 3986's unreserved characters and the sub-delimiters, ":" and "@",
// less ";" (path parameters to some servers).
func rawPathByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,=:@", c) >= 0
}

// encodedPathByte reports whether c travels percent-encoded in a canonical
// path: the printable characters that may not travel as themselves and
// mean nothing to a path.
func encodedPathByte(c byte) bool {
	return strings.IndexByte(" \"<>[]^`{|}", c) >= 0
}

// upperHexByte decodes two upper-case hex digits.
func upperHexByte(h, l byte) (byte, bool) {
	hi, ok1 := upperHexDigit(h)
	lo, ok2 := upperHexDigit(l)
	return hi<<4 | lo, ok1 && ok2
}

func upperHexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// encodePublicPath writes a rule (a decoded path) in canonical form.
func encodePublicPath(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; encodedPathByte(c) {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}
