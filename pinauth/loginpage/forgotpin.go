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
			&pageData{Error: "The two PINs are not the same. Please type them again.", Field: "pin"})
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
		Notice: "Your new PIN is saved. Log in with your password once more to use it on this device."}
	p.renderPassword(w, r, http.StatusOK, ret, d)
}
