package loginpage

import (
	"net/http"
	"net/url"
	"strings"

	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
)

// The forms, each with its own CSRF token.
const (
	formPassword = "password"
	formPIN      = "pin"
	formSetPIN   = "setpin"
	formLogout   = "logout"
)

// showLogin serves GET <path>: the PIN pad when this device has a PIN
// session, else the password form; a browser that is signed in gets the
// signed-in page.
func (p *Page) showLogin(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ret := p.safeReturn(q.Get(returnParam))
	if bs := p.Session(r); bs != nil {
		if acct, renewed, e := p.usable(w, r, bs); e == nil {
			if renewed && q.Get("reason") == "expired" {
				// Sent here only because the access token had expired,
				// by a proxy's auth-request endpoint, which cannot renew
				// a browser's cookie (issue 21): renewed now, the browser
				// goes straight back, as after a login.
				w.Header().Set("Cache-Control", "no-store")
				http.Redirect(w, r, ret, http.StatusSeeOther)
				return
			}
			notice := ""
			if q.Get("reason") == "passwordchanged" {
				notice = p.t(r, "notice.passwordchanged")
			}
			p.showSignedIn(w, r, bs, ret, acct, notice)
			return
		}
	}
	notice := ""
	switch q.Get("reason") {
	case "expired":
		notice = p.t(r, "notice.expired")
	case "loggedout":
		notice = p.t(r, "notice.loggedout")
	case "blocked":
		notice = p.t(r, "error.blocked")
	case "emailverified":
		notice = p.t(r, "notice.emailverified")
	}
	if d := p.pinCookie(r); d != nil && q.Get("mode") != "password" {
		p.renderPIN(w, r, http.StatusOK, d, ret, &pageData{Notice: notice})
		return
	}
	p.renderPassword(w, r, http.StatusOK, ret, &pageData{Notice: notice, Identifier: strings.TrimSpace(q.Get("identifier"))})
}

// usable checks the session cookie's access token, renewing it when it
// expired (renewed reports that it did).
func (p *Page) usable(w http.ResponseWriter, r *http.Request, bs *Session) (_ Account, renewed bool, _ *lrerr.Error) {
	acct, access, e := p.usableAccess(w, r, bs)
	return acct, e == nil && access != bs.Access, e
}

// usableAccess is usable that also returns the access token that works:
// the cookie's, or the renewed one.
func (p *Page) usableAccess(w http.ResponseWriter, r *http.Request, bs *Session) (Account, string, *lrerr.Error) {
	acct, e := p.core.Authenticate(r.Context(), bs.Access)
	if e != nil {
		access, re := p.Renew(r.Context(), w, bs, e)
		if re != nil {
			return Account{}, "", re
		}
		acct, e = p.core.Authenticate(r.Context(), access)
		return acct, access, e
	}
	return acct, bs.Access, nil
}

func (p *Page) renderPassword(w http.ResponseWriter, r *http.Request, status int, ret string, d *pageData) {
	d.Title = p.t(r, "title.login")
	d.Return = ret
	d.CSRF = p.csrfToken(p.csrfNonce(w, r), formPassword, "")
	if d.Captcha == nil {
		d.Captcha = p.captchaFor(false)
	}
	p.render(w, r, status, "login", d)
}

func (p *Page) renderPIN(w http.ResponseWriter, r *http.Request, status int, dev *pinDevice, ret string, d *pageData) {
	d.Title = p.t(r, "title.pin")
	d.Return = ret
	d.Display = dev.Display
	d.PINLength = dev.Length
	d.CSRF = p.csrfToken(p.csrfNonce(w, r), formPIN, deviceBinding(dev))
	if d.Captcha == nil {
		d.Captcha = p.captchaFor(false)
	}
	p.render(w, r, status, "pin", d)
}

func (p *Page) renderSetPIN(w http.ResponseWriter, r *http.Request, status int, token, ret string, d *pageData) {
	d.Title = p.t(r, "title.setpin")
	d.Return = ret
	d.PINAuthToken = token
	d.CSRF = p.csrfToken(p.csrfNonce(w, r), formSetPIN, token)
	p.render(w, r, status, "setpin", d)
}

// showSignedIn is the page of a browser that is logged in (session bs):
// continue, change the password, or log out.
func (p *Page) showSignedIn(w http.ResponseWriter, r *http.Request, bs *Session, ret string, acct Account, notice string) {
	d := &pageData{Title: p.t(r, "title.signedin"), Continue: ret, Display: acct.display(), Notice: notice}
	d.CSRF = p.csrfToken(p.csrfNonce(w, r), formLogout, bs.SID)
	p.render(w, r, http.StatusOK, "logout", d)
}

// postPassword serves POST <path>: the password form.
func (p *Page) postPassword(w http.ResponseWriter, r *http.Request) {
	if !p.readForm(w, r, formPassword) {
		return
	}
	f := r.PostForm
	ret := p.safeReturn(f.Get(returnParam))
	ident, password := strings.TrimSpace(f.Get("identifier")), f.Get("password")
	d := &pageData{Identifier: ident}
	if ident == "" || password == "" {
		d.Error, d.Field = p.t(r, "error.missingcredentials"), "identifier"
		if ident != "" {
			d.Field = "password"
		}
		p.renderPassword(w, r, http.StatusBadRequest, ret, d)
		return
	}
	kind := identifierKind(ident)
	body := map[string]string{"Password": password, kind.apiField(): ident}
	q := url.Values{}
	captchaQuery(r, q)
	res, e := p.core.Login(r, FlowPassword, q, body)
	p.afterPasswordLogin(w, r, res, e, ret, d)
}

// afterPasswordLogin answers a password login of the identifier in
// d.Identifier: the return target, the first PIN, or the form again with
// what went wrong. d's notice is kept for the next page.
func (p *Page) afterPasswordLogin(w http.ResponseWriter, r *http.Request, res *Tokens, e *lrerr.Error, ret string, d *pageData) {
	switch {
	case e == nil:
		p.finish(w, r, res, 0, nil, ret)
	case e.Code == lrerr.CodePINRequired:
		token, _ := e.Data["PINAuthToken"].(string)
		p.renderSetPIN(w, r, http.StatusOK, token, ret, &pageData{Notice: d.Notice})
	case e.Code == lrerr.CodeBadCredentials:
		// Say how many tries are left, as the PIN pad does (the README
		// promises it), and show the captcha before it is refused.
		wt := p.afterWrongTry(r, e, p.core.IdentifierStatus(r.Context(), identifierKind(d.Identifier), d.Identifier))
		d.Notice, d.Error, d.Field, d.Captcha = "", wt.Text+wt.Also, "password", wt.Captcha
		p.renderPassword(w, r, wt.Err.HTTPStatus(), ret, d)
	default:
		d.Notice, d.Error, d.Field = "", p.errorText(r, e, 0), "password"
		if e.Code == lrerr.CodeLockedCaptcha || e.Code == lrerr.CodeCaptchaInvalid {
			d.Captcha = p.captchaFor(true)
		}
		p.renderPassword(w, r, e.HTTPStatus(), ret, d)
	}
}

// postPIN serves POST <path>/pin: the PIN pad.
func (p *Page) postPIN(w http.ResponseWriter, r *http.Request) {
	if !p.readForm(w, r, formPIN) {
		return
	}
	ret := p.safeReturn(r.PostForm.Get(returnParam))
	dev := p.pinCookie(r)
	if dev == nil {
		p.renderPassword(w, r, http.StatusBadRequest, ret, &pageData{
			Error: p.t(r, "error.nodevice"), Field: "identifier"})
		return
	}
	pin := strings.TrimSpace(r.PostForm.Get("pin"))
	q := url.Values{"session_token": {dev.Token}}
	captchaQuery(r, q)
	res, e := p.core.Login(r, FlowPIN, q, map[string]string{"PIN": pin})
	if e == nil {
		p.finish(w, r, res, len(pin), dev, ret)
		return
	}
	switch e.Code {
	case lrerr.CodePINInvalid:
		wt := p.afterWrongTry(r, e, p.core.Status(r.Context(), dev.Tenant, dev.UID))
		if wt.Locked {
			// That was the last attempt: the lock also ended this
			// device's PIN session.
			p.clearPINDevice(w)
			p.renderPassword(w, r, wt.Err.HTTPStatus(), ret, &pageData{Error: wt.Text, Field: "identifier"})
			return
		}
		p.renderPIN(w, r, e.HTTPStatus(), dev, ret, &pageData{Error: wt.Text + wt.Also, Field: "pin", Captcha: wt.Captcha})
	case lrerr.CodeCaptchaInvalid:
		// Enough wrong PINs that the next one needs a solved captcha.
		p.renderPIN(w, r, e.HTTPStatus(), dev, ret, &pageData{Error: p.errorText(r, e, 0), Field: "pin",
			Captcha: p.captchaFor(true)})
	case lrerr.CodeValidation, lrerr.CodePINMissing, lrerr.CodeTooManyRequests, lrerr.CodeUnavailable, lrerr.CodeInternal:
		p.renderPIN(w, r, e.HTTPStatus(), dev, ret, &pageData{Error: p.errorText(r, e, 0), Field: "pin"})
	default:
		// Locked, blocked, expired or invalidated session token, no PIN:
		// this device's PIN session is over; the password is needed.
		p.clearPINDevice(w)
		p.renderPassword(w, r, e.HTTPStatus(), ret, &pageData{Error: p.errorText(r, e, 0), Field: "identifier"})
	}
}

// postSetPIN serves POST <path>/setpin: the first PIN of an account.
func (p *Page) postSetPIN(w http.ResponseWriter, r *http.Request) {
	if !p.readForm(w, r, formSetPIN) {
		return
	}
	f := r.PostForm
	ret := p.safeReturn(f.Get(returnParam))
	token, pin, confirm := f.Get("pinauthtoken"), strings.TrimSpace(f.Get("pin")), strings.TrimSpace(f.Get("confirm"))
	if pin != confirm {
		p.renderSetPIN(w, r, http.StatusBadRequest, token, ret, &pageData{Error: p.t(r, "error.pinsdiffer"), Field: "pin"})
		return
	}
	res, e := p.core.Login(r, FlowSetPIN, url.Values{"pinauthtoken": {token}}, map[string]string{"PIN": pin})
	switch {
	case e == nil:
		p.finish(w, r, res, len(pin), nil, ret)
	case e.Code == lrerr.CodeValidation || e.Code == lrerr.CodePINMissing || e.Code == lrerr.CodeTooManyRequests || e.Code == lrerr.CodeUnavailable:
		p.renderSetPIN(w, r, e.HTTPStatus(), token, ret, &pageData{Error: p.errorText(r, e, 0), Field: "pin"})
	default:
		p.renderPassword(w, r, e.HTTPStatus(), ret, &pageData{Error: p.errorText(r, e, 0), Field: "identifier"})
	}
}

// finish completes a successful login: cookies, then a 303 to the return
// target.
func (p *Page) finish(w http.ResponseWriter, r *http.Request, tokens *Tokens, pinLength int, dev *pinDevice, ret string) {
	if tokens == nil {
		// A login that needs more than the page offers (a second factor).
		p.message(w, r, http.StatusForbidden, p.t(r, "title.cannotlogin"),
			p.t(r, "error.secondfactor"))
		return
	}
	if e := p.startSession(w, r, tokens, pinLength, dev); e != nil {
		p.renderPassword(w, r, e.HTTPStatus(), ret, &pageData{Error: p.errorText(r, e, 0)})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, ret, http.StatusSeeOther)
}

// showLogout serves GET <path>/logout: a confirmation with a CSRF-protected
// button (a plain link must not log anyone out: any site could embed it).
func (p *Page) showLogout(w http.ResponseWriter, r *http.Request) {
	bs := p.Session(r)
	if bs == nil {
		http.Redirect(w, r, p.path, http.StatusSeeOther)
		return
	}
	acct, _, e := p.usable(w, r, bs)
	if e != nil {
		http.Redirect(w, r, p.path, http.StatusSeeOther)
		return
	}
	p.showSignedIn(w, r, bs, p.safeReturn(r.URL.Query().Get(returnParam)), acct, "")
}

// postLogout serves POST <path>/logout: the login session is revoked (with
// its refresh and PIN session tokens), the cookies cleared, and the browser
// sent to the login page.
func (p *Page) postLogout(w http.ResponseWriter, r *http.Request) {
	if !p.readForm(w, r, formLogout) {
		return
	}
	if bs := p.Session(r); bs != nil {
		if err := p.core.RevokeSession(r.Context(), bs.Tenant, bs.UID, bs.SID); err != nil {
			// Fail closed: keep the cookies so the user can retry, and
			// say the logout did not happen.
			p.logFault(r, "logout", err)
			p.message(w, r, http.StatusServiceUnavailable, p.t(r, "title.logoutfailed"),
				p.t(r, "error.logoutfailed"))
			return
		}
	}
	p.clearSession(w)
	p.clearPINDevice(w)
	p.rotateNonce(w)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, p.path+"?reason=loggedout", http.StatusSeeOther)
}

func (p *Page) logFault(r *http.Request, what string, err error) {
	p.log.Warn("login page request failed", zap.String("step", what),
		zap.String("client_ip", p.clientIP(r)), zap.Error(err))
}
