// Package origin decides whether a URL from a request may be used as a
// place of the tenant's app: a reset link's page, a login page's return
// target. Such URLs are where the gateway sends tokens and browsers, so
// they must be on one of the tenant's allowed_origins. It imports nothing
// of the gateway.
package origin

import (
	"net/url"
	"strings"
)

// Of returns scheme://host:port of an absolute http(s) URL with the scheme
// and host lower-cased and the default port made explicit; false for
// another scheme or a URL without a host.
func Of(u *url.URL) (string, bool) {
	scheme := strings.ToLower(u.Scheme)
	if (scheme != "http" && scheme != "https") || u.Hostname() == "" {
		return "", false
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[scheme]
	}
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return scheme + "://" + host + ":" + port, true
}

// Allowed reports whether u's origin (see Of) equals the origin of one of
// allowed, the configured origins: each an http(s) URL without user info,
// query or path (a trailing slash is ignored); entries that are not are
// skipped.
func Allowed(allowed []string, u *url.URL) bool {
	origin, ok := Of(u)
	if !ok {
		return false
	}
	for _, o := range allowed {
		ou, err := url.Parse(strings.TrimSuffix(o, "/"))
		if err != nil || ou.User != nil || (ou.Path != "" && ou.Path != "/") || ou.RawQuery != "" {
			continue
		}
		if a, ok := Of(ou); ok && a == origin {
			return true
		}
	}
	return false
}

// HasUnsafeByte reports a control character, DEL, space or backslash: a
// URL holding one is refused before it is parsed, since browsers and
// servers disagree on what it means.
func HasUnsafeByte(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f || c == '\\' {
			return true
		}
	}
	return false
}
