package loginpage

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
)

// The landing of an email verification link: <path>/verify?vtoken=…
// (notify.Link's vtype emailverification, with the address and the
// return target the sign-up put in the link). Opening the link changes
// nothing, since mail scanners follow links: the page shows a button,
// whose POST verifies through the API's own GET /auth/email with the
// verificationtoken. Then the browser lands on the password form, the
// address prefilled, saying the email is verified, with the return
// target kept. A link that no longer works says so, with the form that
// sends a new one.

// formVerify is the verification's form, bound to the link's token.
const formVerify = "verify"

// verifyBinding is the CSRF binding of the verification form of token.
func verifyBinding(token string) string { return secret.TokenHash("verify\x00" + token) }

// showVerify serves GET <path>/verify, where verification links land.
func (p *Page) showVerify(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ret := p.safeReturn(q.Get(returnParam))
	token := q.Get("vtoken")
	if token == "" {
		p.message(w, r, http.StatusBadRequest, p.t(r, "title.linkincomplete"), p.t(r, "error.linkincomplete"))
		return
	}
	p.renderVerify(w, r, http.StatusOK, token, ret, &pageData{Identifier: strings.TrimSpace(q.Get("email"))})
}

func (p *Page) renderVerify(w http.ResponseWriter, r *http.Request, status int, token, ret string, d *pageData) {
	d.Title = p.t(r, "title.verify")
	d.Return, d.ResetToken = ret, token
	d.CSRF = p.csrfToken(p.csrfNonce(w, r), formVerify, verifyBinding(token))
	if d.Captcha == nil {
		d.Captcha = p.captchaFor(false)
	}
	p.render(w, r, status, "verify", d)
}

// postVerify serves POST <path>/verify: the link's token is verified by
// the core.
func (p *Page) postVerify(w http.ResponseWriter, r *http.Request) {
	if !p.readForm(w, r, formVerify) {
		return
	}
	f := r.PostForm
	ret := p.safeReturn(f.Get(returnParam))
	token, email := f.Get("vtoken"), strings.TrimSpace(f.Get("email"))
	q := url.Values{"verificationtoken": {token}}
	captchaQuery(r, q)
	e := p.core.Run(r, FlowVerifyEmail, q, nil)
	switch {
	case e == nil:
		p.emailVerified(w, r, email, ret)
	case e.Code == lrerr.CodeVerificationLinkInvalid || e.Code == lrerr.CodeVerificationLinkUsed ||
		e.Code == lrerr.CodeVerificationLinkExpired || e.Code == lrerr.CodeParameterFormat:
		p.renderCheckEmail(w, r, e.HTTPStatus(), ret, &pageData{Title: p.t(r, "title.linkexpired"),
			Identifier: email, Error: p.t(r, "error.verifylinkexpired")})
	default:
		d := &pageData{Identifier: email, Error: p.errorText(r, e, 0)}
		if e.Code == lrerr.CodeCaptchaInvalid {
			d.Captcha = p.captchaFor(true)
		}
		p.renderVerify(w, r, e.HTTPStatus(), token, ret, d)
	}
}

// emailVerified sends the browser whose address email is now verified to
// the password form, the address prefilled, saying so, with the return
// target kept.
func (p *Page) emailVerified(w http.ResponseWriter, r *http.Request, email, ret string) {
	loc := url.Values{"reason": {"emailverified"}}
	if email != "" {
		loc.Set("identifier", email)
	}
	if ret != "/" {
		loc.Set(returnParam, ret)
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, p.path+"?"+loc.Encode(), http.StatusSeeOther)
}

// The verification by code of a tenant that mails codes instead of
// links (verification_email otp): the "check your email" page after a
// sign-up or a resend has a field for the code, whose form POSTs to
// <path>/verifycode with the address. It verifies through the API's own
// PUT /auth/email, so its credential gate applies: the rate limit, the
// lockout counting (a wrong code counts as a wrong password does) and
// the same work for an address nobody awaits. A wrong, used or expired
// code is said next to the field, with the tries left before the
// lockout; a lock, in the API's words, in the alert. Then the browser
// lands on the password form as after a link.

// formVerifyCode is the code's form, bound to the address.
const formVerifyCode = "verifycode"

// codeBinding is the CSRF binding of the code form of address email.
func codeBinding(email string) string { return secret.TokenHash("verifycode\x00" + email) }

// byCode is the text key key, or its code variant (key + "code") when
// the tenant mails verification codes.
func (p *Page) byCode(key string) string {
	if p.tenant.SignUp.VerifyByCode {
		return key + "code"
	}
	return key
}

// countedCode says that e is a code's refusal the credential gate
// counted toward a lockout: a wrong, used or expired code.
func countedCode(e *lrerr.Error) bool {
	return e.Code == lrerr.CodeOTPInvalid || e.Code == lrerr.CodeOTPUsed || e.Code == lrerr.CodeOTPExpired
}

// postVerifyCode serves POST <path>/verifycode: the code typed for the
// posted address is verified by the core.
func (p *Page) postVerifyCode(w http.ResponseWriter, r *http.Request) {
	if !p.readForm(w, r, formVerifyCode) {
		return
	}
	f := r.PostForm
	ret := p.safeReturn(f.Get(returnParam))
	email, code := strings.TrimSpace(f.Get("email")), strings.TrimSpace(f.Get("otp"))
	d := &pageData{Identifier: email, FieldErrors: map[string]string{}}
	if code == "" {
		d.addFieldError("otp", p.t(r, "error.missingcode"))
		p.renderCheckEmail(w, r, http.StatusBadRequest, ret, d)
		return
	}
	q := url.Values{}
	captchaQuery(r, q)
	e := p.core.Run(r, FlowVerifyEmailByCode, q, map[string]string{"email": email, "otp": code})
	switch {
	case e == nil:
		p.emailVerified(w, r, email, ret)
		return
	case countedCode(e):
		// The check counted toward the lockout of the address's account
		// (or of the address, when no account awaits it): say how many
		// tries are left, or the lock that try set, as the login forms do.
		wt := p.afterWrongTry(r, e, p.core.AddressStatus(r.Context(), email))
		if wt.Locked {
			d.Error = wt.Text
		} else {
			d.addFieldError("otp", wt.Text)
			d.Error += wt.Also
			d.Captcha = wt.Captcha
		}
		p.renderCheckEmail(w, r, wt.Err.HTTPStatus(), ret, d)
		return
	default:
		d.Error = p.errorText(r, e, 0)
		if e.Code == lrerr.CodeCaptchaInvalid || e.Code == lrerr.CodeLockedCaptcha {
			d.Captcha = p.captchaFor(true)
		}
	}
	p.renderCheckEmail(w, r, e.HTTPStatus(), ret, d)
}
