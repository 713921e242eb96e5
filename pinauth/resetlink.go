package pinauth

import (
	"errors"
	"net/url"
	"strings"
)

// A PIN reset link carries a reset token to a page of the tenant's app,
// so the URL comes from the request (resetpinurl) or the tenant's
// reset_pin_url. Sending it anywhere else would mail a working token to a
// page an attacker controls; so it must be an absolute http(s) URL,
// without user info, backslashes, spaces or control characters, whose
// origin (scheme, host and port, default ports made explicit) equals one
// of the tenant's allowed_origins exactly. Anything else is 1248. A
// password reset link (resetpasswordurl) is checked the same way; there
// anything else is 908.

// maxResetURLLength bounds a resetpinurl.
const maxResetURLLength = 2048

// The query parameters a reset link carries, as LoginRadius's links do
// (vtype names what the token is for, vtoken is the token).
const (
	resetLinkTypeParam  = "vtype"
	resetLinkTypeValue  = "resetpin"
	resetLinkTokenParam = "vtoken"
	// resetLinkTypePassword is the vtype of a password reset link.
	resetLinkTypePassword = "reset"
)

var errBadResetURL = errors.New("reset URL is not on an allowed origin")

// resetLinkBase parses and checks a reset URL for tenant t.
func (t *Tenant) resetLinkBase(raw string) (*url.URL, error) {
	if raw == "" || len(raw) > maxResetURLLength || hasUnsafeByte(raw) {
		return nil, errBadResetURL
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.User != nil {
		return nil, errBadResetURL
	}
	origin, ok := urlOrigin(u)
	if !ok {
		return nil, errBadResetURL
	}
	for _, o := range t.AllowedOrigins {
		ou, err := url.Parse(strings.TrimSuffix(o, "/"))
		if err != nil || ou.User != nil || (ou.Path != "" && ou.Path != "/") || ou.RawQuery != "" {
			continue
		}
		if allowed, ok := urlOrigin(ou); ok && allowed == origin {
			return u, nil
		}
	}
	return nil, errBadResetURL
}

// urlOrigin returns scheme://host:port of an absolute http(s) URL with the
// scheme and host lower-cased and the default port made explicit.
func urlOrigin(u *url.URL) (string, bool) {
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

// resetLink returns base with the reset token added to its query
// (vtype=<linkType>&vtoken=<token>: resetpin for a PIN, reset for a
// password), keeping its other parameters and its fragment.
func resetLink(base *url.URL, linkType, token string) string {
	u := *base
	q := u.Query()
	q.Set(resetLinkTypeParam, linkType)
	q.Set(resetLinkTokenParam, token)
	u.RawQuery = q.Encode()
	return u.String()
}
