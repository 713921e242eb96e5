package loginpage

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
)

// resetPINByLink sets the new PIN of a PIN reset link (POST <path>/reset
// with vtype resetpin). A PIN reset proves the mailbox, not the password,
// so it does not log in by itself: the password form follows, filled with
// the account's name, and its login saves the new PIN session on this
// device. (Logging in on the reset alone would make a code by SMS or the
// security answers a way around the password.)
func (p *Page) resetPINByLink(w http.ResponseWriter, r *http.Request, token, ret string) {
	f := r.PostForm
	pin, confirm := strings.TrimSpace(f.Get("pin")), strings.TrimSpace(f.Get("confirm"))
	if pin != confirm {
		p.renderReset(w, r, http.StatusBadRequest, linkPIN, token, ret,
			&pageData{Error: p.t(r, "error.pinsdiffer"), Field: "pin"})
		return
	}
	acct, e := p.core.Recover(r, FlowResetPINByToken, url.Values{}, map[string]any{"ResetToken": token, "PIN": pin})
	switch {
	case e == nil:
		p.pinSaved(w, r, acct, ret)
	case e.Code == lrerr.CodeValidation || e.Code == lrerr.CodePINMissing:
		p.renderReset(w, r, e.HTTPStatus(), linkPIN, token, ret, &pageData{Error: p.errorText(r, e, 0), Field: "pin"})
	case e.Code == lrerr.CodeResetPINURLInvalid:
		p.linkExpired(w, r, ret, "/forgotpin")
	default:
		p.renderReset(w, r, e.HTTPStatus(), linkPIN, token, ret, &pageData{Error: p.errorText(r, e, 0)})
	}
}

// pinSaved follows a PIN reset of acct: the reset ended every session of
// the account, this device's PIN session too, so the password form comes
// next, filled with the account's name.
func (p *Page) pinSaved(w http.ResponseWriter, r *http.Request, acct Account, ret string) {
	p.clearPINDevice(w)
	ident := acct.Email
	if ident == "" {
		ident = acct.Username
	}
	d := &pageData{Identifier: ident, Field: "password",
		Notice: p.t(r, "notice.pinsaved")}
	p.renderPassword(w, r, http.StatusOK, ret, d)
}

// A forgotten PIN, from the PIN pad: <path>/forgotpin offers the ways the
// tenant and the account allow (a link or a code by email, a code by SMS,
// the security questions), for the account the device's PIN cookie
// names; a browser without one is sent to the password form. Each way
// ends with the new PIN saved (pinSaved).

// formForgotPIN is the forgot-PIN forms' CSRF name; they are bound to the
// device, as the pad is.
const formForgotPIN = "forgotpin"

// The ways to reset a PIN, as the forms post them.
const (
	byLink    = "link"
	byEmail   = "email"
	bySMS     = "sms"
	byAnswers = "answers"
)

// recoveryOf reads the device's account and its ways to reset the PIN;
// nil (after answering) when the browser has no device or the store
// fails.
func (p *Page) recoveryOf(w http.ResponseWriter, r *http.Request) (*pinDevice, *Recovery) {
	dev := p.pinCookie(r)
	if dev == nil {
		http.Redirect(w, r, p.path+"?mode=password", http.StatusSeeOther)
		return nil, nil
	}
	rc, err := p.core.Recovery(r.Context(), dev.Tenant, dev.UID)
	if err != nil {
		p.logFault(r, "forgot pin", err)
		p.message(w, r, http.StatusServiceUnavailable, p.t(r, "title.error"),
			p.t(r, "error.busy"))
		return nil, nil
	}
	return dev, &rc
}

func (p *Page) renderForgotPIN(w http.ResponseWriter, r *http.Request, status int, dev *pinDevice, rc *Recovery, ret string, d *pageData) {
	d.Title = p.t(r, "title.forgotpin")
	d.Return, d.Recovery, d.Display = ret, rc, rc.Account.display()
	if d.Step == "" {
		d.Step = "choose"
	}
	if d.Step == byAnswers {
		d.Title = p.t(r, "title.answers")
	}
	d.CSRF = p.csrfToken(p.csrfNonce(w, r), formForgotPIN, deviceBinding(dev))
	p.render(w, r, status, "forgotpin", d)
}

// showForgotPIN serves GET <path>/forgotpin: the ways to reset the PIN.
func (p *Page) showForgotPIN(w http.ResponseWriter, r *http.Request) {
	dev, rc := p.recoveryOf(w, r)
	if rc == nil {
		return
	}
	ret := p.safeReturn(r.URL.Query().Get(returnParam))
	d := &pageData{}
	if r.URL.Query().Get("by") == byAnswers && len(rc.Questions) > 0 {
		d.Step = byAnswers
	}
	p.renderForgotPIN(w, r, http.StatusOK, dev, rc, ret, d)
}

// postForgotPIN serves POST <path>/forgotpin: send a link or a code, or
// reset the PIN with a code or the answers.
func (p *Page) postForgotPIN(w http.ResponseWriter, r *http.Request) {
	if !p.readForm(w, r, formForgotPIN) {
		return
	}
	dev, rc := p.recoveryOf(w, r)
	if rc == nil {
		return
	}
	f := r.PostForm
	ret := p.safeReturn(f.Get(returnParam))
	by := f.Get("by")
	if f.Has("pin") {
		p.resetPINWith(w, r, dev, rc, by, ret)
		return
	}
	var flow Flow
	q := url.Values{}
	body := map[string]any{"Email": rc.Account.Email}
	switch {
	case by == byLink && rc.EmailLink:
		flow = FlowForgotPINByEmail
		if p.tenant.ResetPINURL == "" {
			q.Set("resetpinurl", p.landing(r, ret))
		}
	case by == byEmail && rc.EmailOTP:
		flow = FlowForgotPINByEmail
	case by == bySMS && rc.SMS:
		flow, body = FlowForgotPINBySMS, map[string]any{"Phone": rc.Account.Phone}
	default:
		p.renderForgotPIN(w, r, http.StatusBadRequest, dev, rc, ret, &pageData{Error: p.t(r, "error.chooseway")})
		return
	}
	captchaQuery(r, q)
	if _, e := p.core.Recover(r, flow, q, body); e != nil {
		p.renderForgotPIN(w, r, e.HTTPStatus(), dev, rc, ret, &pageData{Error: p.errorText(r, e, 0)})
		return
	}
	if by == byLink {
		p.render(w, r, http.StatusOK, "message", &pageData{Title: p.t(r, "title.checkemail"),
			Notice: p.t(r, "notice.pinlinksent")})
		return
	}
	sent := p.t(r, "notice.codebyemail")
	if by == bySMS {
		sent = p.t(r, "notice.codebysms")
	}
	p.renderForgotPIN(w, r, http.StatusOK, dev, rc, ret, &pageData{Step: by, Notice: sent})
}

// resetPINWith sets the new PIN with a code (by email or SMS) or the
// security answers.
func (p *Page) resetPINWith(w http.ResponseWriter, r *http.Request, dev *pinDevice, rc *Recovery, by, ret string) {
	f := r.PostForm
	pin, confirm := strings.TrimSpace(f.Get("pin")), strings.TrimSpace(f.Get("confirm"))
	again := func(status int, d *pageData) {
		d.Step = by
		p.renderForgotPIN(w, r, status, dev, rc, ret, d)
	}
	if pin != confirm {
		again(http.StatusBadRequest, &pageData{Error: p.t(r, "error.pinsdiffer"), Field: "pin"})
		return
	}
	var flow Flow
	body := map[string]any{"PIN": pin, "Email": rc.Account.Email}
	switch {
	case by == byEmail && rc.EmailOTP:
		flow, body["OTP"] = FlowResetPINByEmail, strings.TrimSpace(f.Get("otp"))
	case by == bySMS && rc.SMS:
		flow, body["OTP"] = FlowResetPINBySMS, strings.TrimSpace(f.Get("otp"))
		body["Phone"] = rc.Account.Phone
		delete(body, "Email")
	case by == byAnswers && len(rc.Questions) > 0:
		answers := map[string]string{}
		for _, q := range rc.Questions {
			answers[q.ID] = f.Get("answer-" + q.ID)
		}
		flow, body["SecurityAnswer"] = FlowResetPINByAnswers, answers
	default:
		p.renderForgotPIN(w, r, http.StatusBadRequest, dev, rc, ret, &pageData{Error: p.t(r, "error.chooseway")})
		return
	}
	q := url.Values{}
	captchaQuery(r, q)
	_, e := p.core.Recover(r, flow, q, body)
	switch {
	case e == nil:
		p.pinSaved(w, r, rc.Account, ret)
	case e.Code == lrerr.CodeValidation || e.Code == lrerr.CodePINMissing:
		again(e.HTTPStatus(), &pageData{Error: p.errorText(r, e, 0), Field: "pin"})
	case countedCode(e) || e.Code == lrerr.CodeSecurityAnswerWrong:
		// Counted toward the device's account's lockout: say how many
		// tries are left, or the lock that try set. (The form has no
		// captcha widget; a captcha lock is explained on the password
		// form, as below.)
		wt := p.afterWrongTry(r, e, p.core.Status(r.Context(), dev.Tenant, dev.UID))
		if wt.Locked {
			p.toPasswordLocked(w, r, wt.Err, wt.Text, rc, ret)
			return
		}
		field := "otp"
		if e.Code == lrerr.CodeSecurityAnswerWrong {
			field = "answer"
		}
		again(e.HTTPStatus(), &pageData{Error: wt.Text, Field: field})
	default:
		p.toPasswordLocked(w, r, e, p.errorText(r, e, 0), rc, ret)
	}
}

// toPasswordLocked ends a PIN reset refused by e (said as text): locked,
// blocked, or a fault. The password form is where a lock is explained and
// recovered.
func (p *Page) toPasswordLocked(w http.ResponseWriter, r *http.Request, e *lrerr.Error, text string, rc *Recovery, ret string) {
	p.clearPINDevice(w)
	p.renderPassword(w, r, e.HTTPStatus(), ret, &pageData{Error: text, Field: "identifier",
		Identifier: rc.Account.display()})
}
