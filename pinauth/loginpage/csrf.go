package loginpage

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"go.uber.org/zap"
)

// CSRF defence, in three layers. (1) Every POST must come from a page of
// this origin: a browser's Sec-Fetch-Site must say same-origin (or none),
// and without it an Origin header must name this host; a sibling host is
// same-site, so SameSite=Lax alone would let its forms through. (2) Each
// form carries a signed double-submit token: HMAC, under a key derived
// from the pepper, of the form's name, the browser's CSRF-cookie nonce and
// the session the form belongs to (the login session's id for logout and
// the password change, the PIN device's session token for the PIN pad,
// the PinAuthToken for the first PIN). A cross-site page can neither read
// the nonce nor compute the token, a token for one form is refused by
// another, and a token minted for a nonce an attacker planted through a
// sibling host's cookie (with cookie { domain } or insecure, where __Host-
// cannot be used) still names the attacker's session, not the victim's. (3) The nonce is replaced at
// login and at logout, so a token minted before either is dead after it
// (issue 15, finding 12). A failure of any layer gets a 403 page and no
// action is taken.

// csrfNonceBytes is the nonce's size: 256 random bits.
const csrfNonceBytes = 32

// csrfField is the form field carrying the token.
const csrfField = "csrf"

// maxFormBytes bounds a login-page form body.
const maxFormBytes = 16 << 10

// csrfNonce returns the browser's CSRF nonce, creating and setting one when
// the request has none (or a malformed one).
func (p *Page) csrfNonce(w http.ResponseWriter, r *http.Request) string {
	if n := readCookie(r, p.cookie.csrf); validNonce(n) {
		return n
	}
	return p.rotateNonce(w)
}

// rotateNonce sets a new CSRF nonce and returns it: every token made for
// the old one stops working.
func (p *Page) rotateNonce(w http.ResponseWriter) string {
	n := base64.RawURLEncoding.EncodeToString(secret.Bytes(csrfNonceBytes))
	p.cookie.set(w, p.cookie.csrf, n, 0)
	return n
}

func validNonce(n string) bool {
	b, err := base64.RawURLEncoding.DecodeString(n)
	return err == nil && len(b) == csrfNonceBytes
}

// csrfToken is the token of form for nonce and the session it belongs to
// (see csrfBinding), under the current key.
func (p *Page) csrfToken(nonce, form, session string) string {
	return csrfMAC(p.keys.csrf[0], nonce, form, session)
}

func csrfMAC(key []byte, nonce, form, session string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(form))
	m.Write([]byte{0})
	m.Write([]byte(nonce))
	m.Write([]byte{0})
	m.Write([]byte(session))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// csrfBinding is the session a posted form belongs to, as the request
// shows it: the login session's id for logout and the password change, a
// hash of the PIN device's session token for the PIN pad and its
// forgot-PIN forms, the posted
// PinAuthToken for the first PIN, a hash of the reset link's token (or of
// the identifier a reset code was sent for) for its landing page, a hash
// of the verification link's token for its landing (of the address for
// the verification code's form), and none for the
// password and sign-up forms (no session exists yet; the origin check
// guards them). The page renders each form with the same value.
func (p *Page) csrfBinding(r *http.Request, form string) string {
	switch form {
	case formLogout, formChangePassword:
		if bs := p.Session(r); bs != nil {
			return bs.SID
		}
	case formPIN, formForgotPIN:
		if d := p.pinCookie(r); d != nil {
			return deviceBinding(d)
		}
	case formSetPIN:
		return r.PostForm.Get("pinauthtoken")
	case formReset:
		return resetBinding(r.PostForm.Get("vtoken"), r.PostForm.Get("identifier"))
	case formVerify:
		return verifyBinding(r.PostForm.Get("vtoken"))
	case formVerifyCode:
		return codeBinding(strings.TrimSpace(r.PostForm.Get("email")))
	}
	return ""
}

// deviceBinding is the PIN pad's CSRF binding for device d.
func deviceBinding(d *pinDevice) string { return secret.TokenHash(d.Token) }

// sameOrigin reports whether a POST came from a page of this origin, as
// far as the browser says: Sec-Fetch-Site same-origin (or none: typed or
// bookmarked), or, from a browser that does not send it, an Origin whose
// host is the request's. A request with neither (not a browser, or a very
// old one) is left to the token.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return site == "same-origin" || site == "none"
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false // "null" and the like: an opaque origin is no origin of ours
	}
	return strings.EqualFold(withoutDefaultPort(u.Host, u.Scheme), withoutDefaultPort(r.Host, u.Scheme))
}

// withoutDefaultPort drops :80 from an http host and :443 from an https
// one, so that an Origin and a Host header that differ only there match.
func withoutDefaultPort(host, scheme string) string {
	if (scheme == "http" && strings.HasSuffix(host, ":80")) || (scheme == "https" && strings.HasSuffix(host, ":443")) {
		return host[:strings.LastIndexByte(host, ':')]
	}
	return host
}

// readForm parses a POSTed form (bounded in size) and checks its CSRF
// token for form. On failure it writes the 403 page and returns false.
func (p *Page) readForm(w http.ResponseWriter, r *http.Request, form string) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			p.message(w, r, http.StatusRequestEntityTooLarge, p.t(r, "title.error"),
				p.t(r, "error.formtoolarge"))
		case apireq.IsTimeout(err):
			p.message(w, r, http.StatusRequestTimeout, p.t(r, "title.error"),
				p.t(r, "error.formtimeout"))
		default:
			p.message(w, r, http.StatusBadRequest, p.t(r, "title.error"),
				p.t(r, "error.formunreadable"))
		}
		return false
	}
	reason := ""
	switch {
	case !sameOrigin(r):
		reason = "cross_origin"
	case !p.csrfValid(r, form):
		reason = "token"
	}
	if reason != "" {
		if ce := p.log.Check(zap.InfoLevel, "login page csrf check failed"); ce != nil {
			ce.Write(zap.String("client_ip", p.clientIP(r)), zap.String("form", form), zap.String("reason", reason))
		}
		p.message(w, r, http.StatusForbidden, p.t(r, "title.formexpired"),
			p.t(r, "error.formexpired"))
		return false
	}
	return true
}

// csrfValid checks the form's token against the nonce cookie and the
// session the request shows, under the current and older peppers' keys, in
// constant time.
func (p *Page) csrfValid(r *http.Request, form string) bool {
	nonce := readCookie(r, p.cookie.csrf)
	got := r.PostForm.Get(csrfField)
	if !validNonce(nonce) || got == "" {
		return false
	}
	session := p.csrfBinding(r, form)
	ok := false
	for _, key := range p.keys.csrf {
		ok = hmac.Equal([]byte(csrfMAC(key, nonce, form, session)), []byte(got)) || ok
	}
	return ok
}
