package loginpage

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzLoginReturnTarget fuzzes where the login page sends a browser after
// login. Whatever the return parameter, the answer is "/" or the target
// unchanged, and a browser following it stays on this site or goes to one
// of the tenant's allowed origins, however it reads backslashes, tabs,
// line breaks and percent-escapes.
func FuzzLoginReturnTarget(f *testing.F) {
	p := newTestPage(f, "https://app.example.com", "http://localhost:3000/")
	for _, s := range []string{
		"/", "/app?x=1#f", "//evil.com", "/\\evil.com", "/%2F%2Fevil.com", "/%252F%252Fevil.com",
		"https://app.example.com/x", "https://app.example.com@evil.com/", "https://evil.com#@app.example.com",
		"HTTPS://APP.EXAMPLE.COM/x", "http://localhost:3000/x", "javascript:alert(1)", "/\t/evil.com",
		"https:evil.com", "/login", "/%09/evil.com", "/.%2e/%2fevil.com", "https://app.example.com:443/",
		"https://app.example.com./", "https://[::1]/", "/\u3000/evil.com", "/%E3%80%80/evil.com",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, target string) {
		got := p.safeReturn(target)
		if got != "/" && got != target {
			t.Fatalf("safeReturn(%q) = %q: neither the target nor /", target, got)
		}
		if got == "/" {
			return
		}
		// Read it the way a browser would, at every level of decoding a
		// chain of servers might apply.
		for s, i := got, 0; i < 4; i++ {
			if scheme, host, offsite := browserHost(s); offsite && !allowedHost(scheme, host) {
				t.Fatalf("safeReturn(%q) = %q, which a browser reads as the host %q", target, got, host)
			}
			next, err := url.PathUnescape(s)
			if err != nil || next == s {
				break
			}
			s = next
		}
	})
}

// browserHost reads a Location value roughly as the WHATWG URL parser
// does: tabs and line breaks removed, backslashes taken for slashes, and
// either a scheme-relative (scheme "") or an absolute URL names a host.
// offsite is false for a path on the same site.
func browserHost(loc string) (scheme, host string, offsite bool) {
	loc = strings.Trim(loc, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
	loc = strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").Replace(loc)
	if strings.HasPrefix(loc, "//") {
		return "", authority(loc[2:]), true
	}
	if strings.HasPrefix(loc, "/") {
		return "", "", false
	}
	scheme, rest, ok := strings.Cut(loc, ":")
	if !ok || strings.ContainsAny(scheme, "/?#") {
		return "", "", false // a relative path: stays on this site
	}
	return strings.ToLower(scheme), authority(strings.TrimLeft(rest, "/")), true
}

// authority returns the host of "host[:port]/path…", without user info.
func authority(s string) string {
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		return "userinfo@" + s[i+1:] // never acceptable
	}
	return strings.ToLower(s)
}

// allowedHost reports whether a browser at scheme://host is on one of the
// allowed origins (https://app.example.com, http://localhost:3000): the
// scheme's default port, like an empty one ("host:", which the WHATWG
// parser reads as no port), is the origin without a port, as the browser
// takes it; a scheme-relative target ("") keeps the page's scheme.
func allowedHost(scheme, host string) bool {
	host = strings.TrimSuffix(host, ":")
	switch scheme {
	case "https":
		host = strings.TrimSuffix(host, ":443")
	case "http":
		host = strings.TrimSuffix(host, ":80")
	}
	return (scheme == "https" || scheme == "") && host == "app.example.com" ||
		(scheme == "http" || scheme == "") && host == "localhost:3000"
}
