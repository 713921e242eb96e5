package loginpage

import (
	"net/http"
	"net/url"
	"strings"

	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
)

// A forgotten password, from the password form: <path>/forgot asks for
// the email or username and has the core mail a reset link, answering the
// same whether or not an account has it (as the API does). The link lands
// on <path>/reset, which sets the new password and then logs in with it,
// continuing into the PIN step when the account has no PIN yet. The same
// landing page takes the links of a forgotten PIN (vtype resetpin, see
// forgotpin.go). Reset tokens reach the page in the link only; the forms
// carry them as hidden fields, bound to the CSRF token.

// The recovery forms.
const (
	formForgot = "forgot"
	formReset  = "reset"
)

// The link types the landing page takes (the vtype of notify.Link).
const (
	linkPassword = "reset"
	linkPIN      = "resetpin"
	// codePassword is no link: the tenant mails a code
	// (password_reset_email otp), typed on the reset form with the
	// identifier it was asked for.
	codePassword = "otp"
)

// landing is the absolute URL of the page's reset landing for a request
// r, with the return target. It is built from the request's host, which a
// client chooses: the core mails a link only when its origin is one of
// the tenant's allowed_origins, so a forged Host gets no link anywhere
// else.
func (p *Page) landing(r *http.Request, ret string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	u := url.URL{Scheme: scheme, Host: r.Host, Path: p.path + "/reset"}
	if ret != "/" {
		u.RawQuery = url.Values{returnParam: {ret}}.Encode()
	}
	return u.String()
}

func (p *Page) renderForgot(w http.ResponseWriter, r *http.Request, status int, ret string, d *pageData) {
	d.Title = p.t(r, "title.forgot")
	d.Return = ret
	d.CSRF = p.csrfToken(p.csrfNonce(w, r), formForgot, "")
	if d.Captcha == nil {
		d.Captcha = p.captchaFor(false)
	}
	p.render(w, r, status, "forgot", d)
}

// showForgot serves GET <path>/forgot.
func (p *Page) showForgot(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.renderForgot(w, r, http.StatusOK, p.safeReturn(q.Get(returnParam)), &pageData{Identifier: q.Get("identifier")})
}

// postForgot serves POST <path>/forgot: the reset link is requested for
// the email or username typed.
func (p *Page) postForgot(w http.ResponseWriter, r *http.Request) {
	if !p.readForm(w, r, formForgot) {
		return
	}
	ret := p.safeReturn(r.PostForm.Get(returnParam))
	ident := strings.TrimSpace(r.PostForm.Get("identifier"))
	d := &pageData{Identifier: ident, Field: "identifier"}
	if ident == "" {
		d.Error = p.t(r, "error.missingidentifier")
		p.renderForgot(w, r, http.StatusBadRequest, ret, d)
		return
	}
	// The API mails by email or username; anything else is a username
	// (a phone finds no account there, and gets the same answer).
	field := resetField(ident)
	q := url.Values{}
	if !p.tenant.PasswordResetByOTP {
		q.Set("resetpasswordurl", p.landing(r, ret))
	}
	captchaQuery(r, q)
	if _, e := p.core.Recover(r, FlowForgotPassword, q, map[string]any{field: ident}); e != nil {
		if e.Code == lrerr.CodeParameterFormat {
			p.log.Warn("login page cannot send reset links", zap.String("reason",
				"the site's origin is not in the tenant's allowed_origins"), zap.String("host", r.Host))
			e = lrerr.New(lrerr.CodeResetPINURLInvalid)
		}
		d.Error = p.errorText(r, e, 0)
		if e.Code == lrerr.CodeCaptchaInvalid {
			d.Captcha = p.captchaFor(true)
		}
		p.renderForgot(w, r, e.HTTPStatus(), ret, d)
		return
	}
	if p.tenant.PasswordResetByOTP {
		p.renderReset(w, r, http.StatusOK, codePassword, "", ret, &pageData{Identifier: ident,
			Notice: p.t(r, "notice.passwordcodesent")})
		return
	}
	p.render(w, r, http.StatusOK, "message", &pageData{Title: p.t(r, "title.checkemail"),
		Notice: p.t(r, "notice.passwordlinksent")})
}

// resetField is the API field a password reset names ident by: Email or
// UserName (a phone finds no account there, and gets the same answer).
func resetField(ident string) string {
	if identifierKind(ident) == IdentEmail {
		return "Email"
	}
	return "UserName"
}

// resetKind is the kind of identifier the API looks ident up by for a
// password reset (resetField): an email or a username.
func resetKind(ident string) IdentifierKind {
	if resetField(ident) == "Email" {
		return IdentEmail
	}
	return IdentUsername
}

// resetBinding is the CSRF binding of a reset form: its link's token, or
// the identifier a code was sent for.
func resetBinding(token, ident string) string { return secret.TokenHash(token + "\x00" + ident) }

// showReset serves GET <path>/reset, where the reset links land.
func (p *Page) showReset(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ret := p.safeReturn(q.Get(returnParam))
	token, vtype := q.Get("vtoken"), q.Get("vtype")
	if token == "" || (vtype != linkPassword && vtype != linkPIN) {
		p.message(w, r, http.StatusBadRequest, p.t(r, "title.linkincomplete"),
			p.t(r, "error.linkincomplete"))
		return
	}
	p.renderReset(w, r, http.StatusOK, vtype, token, ret, &pageData{})
}

func (p *Page) renderReset(w http.ResponseWriter, r *http.Request, status int, vtype, token, ret string, d *pageData) {
	d.Return, d.ResetToken, d.ResetType = ret, token, vtype
	if d.Identifier == "" && r.PostForm != nil {
		d.Identifier = r.PostForm.Get("identifier")
	}
	d.CSRF = p.csrfToken(p.csrfNonce(w, r), formReset, resetBinding(token, d.Identifier))
	if vtype == linkPIN {
		d.Title = p.t(r, "title.newpin")
		p.render(w, r, status, "setpin", d)
		return
	}
	d.Title = p.t(r, "title.newpassword")
	p.render(w, r, status, "reset", d)
}

// postReset serves POST <path>/reset: the new password or PIN of a reset
// link.
func (p *Page) postReset(w http.ResponseWriter, r *http.Request) {
	if !p.readForm(w, r, formReset) {
		return
	}
	f := r.PostForm
	ret := p.safeReturn(f.Get(returnParam))
	token, vtype := f.Get("vtoken"), f.Get("vtype")
	if vtype == linkPIN {
		p.resetPINByLink(w, r, token, ret)
		return
	}
	password, confirm := f.Get("password"), f.Get("confirm")
	if password != confirm {
		p.renderReset(w, r, http.StatusBadRequest, vtype, token, ret, fieldError("confirm",
			p.t(r, "error.passwordsdiffer")))
		return
	}
	body := map[string]any{"ResetToken": token, "Password": password}
	ident := f.Get("identifier")
	if vtype == codePassword {
		body = map[string]any{"Otp": strings.TrimSpace(f.Get("otp")), resetField(ident): ident, "Password": password}
	}
	acct, e := p.core.Recover(r, FlowResetPassword, url.Values{}, body)
	switch {
	case e == nil:
		if vtype == codePassword {
			acct = Account{Email: ident}
			if resetField(ident) != "Email" {
				acct = Account{Username: ident}
			}
		}
	case countedCode(e):
		// Counted toward the lockout of the account ident names (or of
		// ident, when none has it): say how many tries are left, or the
		// lock that try set. The form has no captcha widget.
		wt := p.afterWrongTry(r, e, p.core.IdentifierStatus(r.Context(), resetKind(ident), ident))
		d := &pageData{Error: wt.Text, Field: "otp"}
		if wt.Locked {
			d.Field = ""
		}
		p.renderReset(w, r, wt.Err.HTTPStatus(), vtype, token, ret, d)
		return
	case e.Code == lrerr.CodeValidation:
		p.renderReset(w, r, e.HTTPStatus(), vtype, token, ret, fieldError("password", p.errorText(r, e, 0)))
		return
	case e.Code == lrerr.CodeParameterFormat:
		p.linkExpired(w, r, ret, "/forgot")
		return
	default:
		p.renderReset(w, r, e.HTTPStatus(), vtype, token, ret, &pageData{Error: p.errorText(r, e, 0)})
		return
	}
	// Logged in with the new password, as the person would do next.
	kind, ident := IdentEmail, acct.Email
	if ident == "" {
		kind, ident = IdentUsername, acct.Username
	}
	q := url.Values{}
	res, e := p.core.Login(r, FlowPassword, q, map[string]string{"Password": password, kind.apiField(): ident})
	p.afterPasswordLogin(w, r, res, e, ret, &pageData{Identifier: ident,
		Notice: p.t(r, "notice.passwordsaved")})
}

// linkExpired is the answer to a reset link that no longer works: used,
// replaced by a newer one, or expired. again is the sub-path that sends a
// new one.
func (p *Page) linkExpired(w http.ResponseWriter, r *http.Request, ret, again string) {
	href := p.path + again
	if ret != "/" {
		href += "?" + url.Values{returnParam: {ret}}.Encode()
	}
	p.render(w, r, http.StatusForbidden, "message", &pageData{Title: p.t(r, "title.linkexpired"),
		Error: p.t(r, "error.linkexpired"),
		Again: href})
}

// fieldError is the page data of an error about one field: the alert says
// it, and the field shows it next to itself.
func fieldError(field, text string) *pageData {
	return &pageData{Error: text, Field: field, FieldError: text}
}
