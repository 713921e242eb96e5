package pinauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"

	"go.uber.org/zap"
)

// CSRF defence: a signed double-submit token. The CSRF cookie holds a
// random nonce; each form carries HMAC(key, nonce, form name) with a key
// derived from the pepper. A cross-site page can neither read the nonce
// nor compute the token, a token for one form is refused by another, and
// even a nonce planted by a sibling subdomain (impossible with __Host-
// anyway) is useless without the key. Every POST is checked; a missing or
// wrong token gets a 403 page and no action is taken.

// csrfNonceBytes is the nonce's size: 256 random bits.
const csrfNonceBytes = 32

// csrfField is the form field carrying the token.
const csrfField = "csrf"

// maxFormBytes bounds a login-page form body.
const maxFormBytes = 16 << 10

// csrfNonce returns the browser's CSRF nonce, creating and setting one when
// the request has none (or a malformed one).
func (p *loginPage) csrfNonce(w http.ResponseWriter, r *http.Request) string {
	if n := readCookie(r, p.cookie.csrf); validNonce(n) {
		return n
	}
	n := base64.RawURLEncoding.EncodeToString(randomBytes(csrfNonceBytes))
	p.cookie.set(w, p.cookie.csrf, n, 0)
	return n
}

func validNonce(n string) bool {
	b, err := base64.RawURLEncoding.DecodeString(n)
	return err == nil && len(b) == csrfNonceBytes
}

// csrfToken is the token of form for nonce under the current key.
func (p *loginPage) csrfToken(nonce, form string) string {
	return csrfMAC(p.keys.csrf[0], nonce, form)
}

func csrfMAC(key []byte, nonce, form string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(form))
	m.Write([]byte{0})
	m.Write([]byte(nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// readForm parses a POSTed form (bounded in size) and checks its CSRF
// token for form. On failure it writes the 403 page and returns false.
func (p *loginPage) readForm(w http.ResponseWriter, r *http.Request, form string) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			p.message(w, r, http.StatusRequestEntityTooLarge, "Something went wrong",
				"The form was too large. Go back to the login page and try again.")
		case isTimeout(err):
			p.message(w, r, http.StatusRequestTimeout, "Something went wrong",
				"The form took too long to arrive. Go back to the login page and try again.")
		default:
			p.message(w, r, http.StatusBadRequest, "Something went wrong",
				"The form could not be read. Go back to the login page and try again.")
		}
		return false
	}
	if !p.csrfValid(r, form) {
		if ce := p.g.log.Check(zap.InfoLevel, "login page csrf check failed"); ce != nil {
			ce.Write(zap.String("client_ip", p.g.cfg.ClientIP(r)), zap.String("form", form))
		}
		p.message(w, r, http.StatusForbidden, "This form has expired",
			"For your security the form could not be accepted: it has expired or did not come from this site. "+
				"Go back to the login page and try again.")
		return false
	}
	return true
}

// csrfValid checks the form's token against the nonce cookie, under the
// current and older peppers' keys, in constant time.
func (p *loginPage) csrfValid(r *http.Request, form string) bool {
	nonce := readCookie(r, p.cookie.csrf)
	got := r.PostForm.Get(csrfField)
	if !validNonce(nonce) || got == "" {
		return false
	}
	ok := false
	for _, key := range p.keys.csrf {
		ok = hmac.Equal([]byte(csrfMAC(key, nonce, form)), []byte(got)) || ok
	}
	return ok
}
