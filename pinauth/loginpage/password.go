package loginpage

import (
	"net/http"
	"net/url"

	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
)

// The password change of a signed-in browser: <path>/password, linked from
// the signed-in page (and for apps to link to, with a return target),
// asks for the current password and the new one twice. The change is the
// API's PUT /auth/password/change, run by the core with the session's
// access token: the same policy, the same credential gate and lockout for
// the current password, every other session of the account revoked, this
// one kept. The browser then lands on the signed-in page, saying so, with
// its link back to the page it came from.

// formChangePassword is the password change's form, bound to the login
// session like logout.
const formChangePassword = "changepassword"

// changePasswordFields are the form's inputs by the API body's fields.
var changePasswordFields = map[string]string{"OldPassword": "current", "NewPassword": "password"}

// showChangePassword serves GET <path>/password.
func (p *Page) showChangePassword(w http.ResponseWriter, r *http.Request) {
	ret := p.safeReturn(r.URL.Query().Get(returnParam))
	bs, acct, _, ok := p.signedIn(w, r, ret)
	if !ok {
		return
	}
	p.renderChangePassword(w, r, http.StatusOK, bs, ret, &pageData{Display: acct.display()})
}

// signedIn reads the browser's login session and its working access token;
// without one it sends the browser to the login form, returning to ret,
// and reports false.
func (p *Page) signedIn(w http.ResponseWriter, r *http.Request, ret string) (*Session, Account, string, bool) {
	if bs := p.Session(r); bs != nil {
		if acct, access, e := p.usableAccess(w, r, bs); e == nil {
			return bs, acct, access, true
		}
	}
	p.toLogin(w, r, ret)
	return nil, Account{}, "", false
}

// toLogin sends the browser to the login form, returning to ret after.
func (p *Page) toLogin(w http.ResponseWriter, r *http.Request, ret string) {
	loc := p.path
	if ret != "/" {
		loc += "?" + url.Values{returnParam: {ret}}.Encode()
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, loc, http.StatusSeeOther)
}

func (p *Page) renderChangePassword(w http.ResponseWriter, r *http.Request, status int, bs *Session, ret string, d *pageData) {
	d.Title = p.t(r, "title.changepassword")
	d.Return, d.Continue = ret, ret
	d.CSRF = p.csrfToken(p.csrfNonce(w, r), formChangePassword, bs.SID)
	if d.Captcha == nil {
		d.Captcha = p.captchaFor(false)
	}
	p.render(w, r, status, "password", d)
}

// postChangePassword serves POST <path>/password.
func (p *Page) postChangePassword(w http.ResponseWriter, r *http.Request) {
	if !p.readForm(w, r, formChangePassword) {
		return
	}
	f := r.PostForm
	ret := p.safeReturn(f.Get(returnParam))
	bs, acct, access, ok := p.signedIn(w, r, ret)
	if !ok {
		return
	}
	current, next, confirm := f.Get("current"), f.Get("password"), f.Get("confirm")
	d := &pageData{Display: acct.display(), FieldErrors: map[string]string{}}
	// What the page can tell alone, it tells before the current password
	// is tried: a form with a mistake in it costs no attempt.
	if current == "" {
		d.addFieldError("current", p.t(r, "error.missingcurrentpassword"))
	}
	if next != confirm {
		d.addFieldError("confirm", p.t(r, "error.passwordsdiffer"))
	}
	if d.Field != "" {
		p.renderChangePassword(w, r, http.StatusBadRequest, bs, ret, d)
		return
	}
	q := url.Values{"access_token": {access}}
	captchaQuery(r, q)
	e := p.core.Run(r, FlowChangePassword, q, map[string]string{"OldPassword": current, "NewPassword": next})
	if e == nil {
		loc := url.Values{"reason": {"passwordchanged"}}
		if ret != "/" {
			loc.Set(returnParam, ret)
		}
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, p.path+"?"+loc.Encode(), http.StatusSeeOther)
		return
	}
	switch e.Code {
	case lrerr.CodeValidation:
		t := p.textsFor(r)
		for _, fe := range e.Fields {
			if field, ok := changePasswordFields[fe.FieldName]; ok {
				d.addFieldError(field, fieldText(t, fe.ErrorMessage))
			}
		}
		if d.Field == "" {
			d.Error = p.errorText(r, e, 0)
		}
	case lrerr.CodeCurrentPasswordInvalid:
		// Say how many tries are left, as the login forms do: this check
		// counts toward the same lockout.
		wt := p.afterWrongTry(r, e, p.core.Status(r.Context(), bs.Tenant, bs.UID))
		d.addFieldError("current", wt.Text)
		d.Error += wt.Also
		d.Captcha = wt.Captcha
	case lrerr.CodeAccessTokenInvalid, lrerr.CodeAccessTokenExpired, lrerr.CodeAccountBlocked:
		// The session ended between the check above and the change.
		p.clearSession(w)
		p.toLogin(w, r, ret)
		return
	default:
		d.addFieldError("current", p.errorText(r, e, 0))
		if e.Code == lrerr.CodeLockedCaptcha || e.Code == lrerr.CodeCaptchaInvalid {
			d.Captcha = p.captchaFor(true)
		}
	}
	p.renderChangePassword(w, r, e.HTTPStatus(), bs, ret, d)
}

// addFieldError shows text next to the input named field; the first such
// input takes the focus and its error is the alert's.
func (d *pageData) addFieldError(field, text string) {
	d.FieldErrors[field] = text
	if d.Field == "" {
		d.Field, d.Error = field, text
	}
}
