package notify

import (
	"errors"
	"net/url"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/origin"
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
	linkTypeParam  = "vtype"
	linkTokenParam = "vtoken"
)

// The vtype values of the reset links.
const (
	// LinkTypePIN is the vtype of a PIN reset link.
	LinkTypePIN = "resetpin"
	// LinkTypePassword is the vtype of a password reset link.
	LinkTypePassword = "reset"
	// LinkTypeDelete is the vtype of an account deletion link.
	LinkTypeDelete = "delete"
	// LinkTypeEmailVerification is the vtype of an email verification
	// link, as LoginRadius's.
	LinkTypeEmailVerification = "emailverification"
)

// ErrBadResetURL is LinkBase's refusal of a reset URL.
var ErrBadResetURL = errors.New("reset URL is not on an allowed origin")

// LinkBase parses and checks a reset URL against a tenant's allowed
// origins.
func LinkBase(allowed []string, raw string) (*url.URL, error) {
	if raw == "" || len(raw) > maxResetURLLength || origin.HasUnsafeByte(raw) {
		return nil, ErrBadResetURL
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.User != nil {
		return nil, ErrBadResetURL
	}
	if !origin.Allowed(allowed, u) {
		return nil, ErrBadResetURL
	}
	return u, nil
}

// Link returns base with the reset token added to its query
// (vtype=<linkType>&vtoken=<token>: LinkTypePIN, LinkTypePassword or
// LinkTypeDelete), keeping its other parameters and its fragment.
func Link(base *url.URL, linkType, token string) string {
	u := *base
	q := u.Query()
	q.Set(linkTypeParam, linkType)
	q.Set(linkTokenParam, token)
	u.RawQuery = q.Encode()
	return u.String()
}
