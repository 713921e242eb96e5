package loginpage

import (
	"net/http"
	"net/url"
	"strings"

	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
)

// The sign-up of a tenant that serves one: <path>/register, linked from
// the password form, asks for the email, the password twice and the
// tenant's required fields, and signs up through the API's own POST
// /auth/register (its policy, invitation list, captcha gate, rate limit,
// webhook). The verification email's link lands on <path>/verify (see
// verify.go) unless the tenant has a verification page of its own. Then
// the browser reads "check your email", with a form that sends the email
// again through PUT /auth/register (<path>/resend).
//
// An address that already has an account is said so next to the email
// field: the API answers 936 for it (after the same hashing work as a
// sign-up), so the page tells nothing the API does not.

// The sign-up forms: the sign-up itself and the resend of its email. No
// session exists yet; like the password form they are bound to the
// browser's nonce and guarded by the origin check.
const (
	formSignUp = "signup"
	formResend = "resend"
)

// signUpField is one of a tenant's required fields on the sign-up form.
type signUpField struct {
	// Name is the API's field name; ID the input's id and name.
	Name, ID string
	// Label is its label; Value what was typed.
	Label, Value string
	// Autocomplete is the input's autocomplete hint, Type its type.
	Autocomplete, Type string
}

// knownFields are the labels and input hints of the profile fields the
// page knows, by the field's lower-case name. Another required field is
// labelled with its own name.
var knownFields = map[string]struct{ label, autocomplete, typ string }{
	"firstname": {"label.firstname", "given-name", "text"},
	"lastname":  {"label.lastname", "family-name", "text"},
	"username":  {"label.username", "username", "text"},
	"phoneid":   {"label.phone", "tel", "tel"},
	"phone":     {"label.phone", "tel", "tel"},
}

// signUpFields are the tenant's required fields as inputs, with the
// values of a posted form (nil before one).
func (p *Page) signUpFields(r *http.Request, posted url.Values) []signUpField {
	var out []signUpField
	for _, name := range p.tenant.SignUp.RequiredFields {
		id := strings.ToLower(name)
		if id == "email" || id == "password" {
			continue
		}
		f := signUpField{Name: name, ID: "field-" + id, Label: name, Autocomplete: "on", Type: "text"}
		if k, ok := knownFields[id]; ok {
			f.Label, f.Autocomplete, f.Type = p.t(r, k.label), k.autocomplete, k.typ
		}
		f.Value = strings.TrimSpace(posted.Get(f.ID))
		out = append(out, f)
	}
	return out
}

// passwordHint is the sign-up's password rule in r's language.
func (p *Page) passwordHint(r *http.Request) string {
	s := p.tenant.SignUp
	if s.PasswordClasses > 1 {
		return p.t(r, "text.signuppasswordmix", max(s.PasswordMinLength, 6), s.PasswordClasses)
	}
	return p.t(r, "text.signuppassword", max(s.PasswordMinLength, 6))
}

// showSignUp serves GET <path>/register.
func (p *Page) showSignUp(w http.ResponseWriter, r *http.Request) {
	ret := p.safeReturn(r.URL.Query().Get(returnParam))
	p.renderSignUp(w, r, http.StatusOK, ret, &pageData{}, nil)
}

func (p *Page) renderSignUp(w http.ResponseWriter, r *http.Request, status int, ret string, d *pageData, posted url.Values) {
	d.Title = p.t(r, "title.signup")
	d.Return = ret
	d.Hint = p.passwordHint(r)
	d.Fields = p.signUpFields(r, posted)
	d.CSRF = p.csrfToken(p.csrfNonce(w, r), formSignUp, "")
	if d.Captcha == nil {
		d.Captcha = p.captchaFor(false)
	}
	p.render(w, r, status, "signup", d)
}

// verifyLink is the verificationurl the page passes for address email:
// its own landing, with the address and the return target, or "" when
// the tenant's own verification page takes the links or the tenant mails
// codes. Like the reset
// links it is built from the request's host, and the core mails it only
// when that origin is one of the tenant's allowed_origins.
func (p *Page) verifyLink(r *http.Request, email, ret string) string {
	if p.tenant.SignUp.OwnVerificationURL || p.tenant.SignUp.VerifyByCode {
		return ""
	}
	u, _ := url.Parse(p.landing(r, ret))
	u.Path = p.path + "/verify"
	q := u.Query()
	q.Set("email", email)
	u.RawQuery = q.Encode()
	return u.String()
}

// signUpInput is the form's input of the API body's field apiField,
// "" when the form has none.
func signUpInput(fields []signUpField, apiField string) string {
	switch strings.ToLower(apiField) {
	case "email":
		return "email"
	case "password":
		return "password"
	}
	for _, f := range fields {
		if strings.EqualFold(f.Name, apiField) {
			return f.ID
		}
	}
	return ""
}

// postSignUp serves POST <path>/register.
func (p *Page) postSignUp(w http.ResponseWriter, r *http.Request) {
	if !p.readForm(w, r, formSignUp) {
		return
	}
	f := r.PostForm
	ret := p.safeReturn(f.Get(returnParam))
	email, password := strings.TrimSpace(f.Get("email")), f.Get("password")
	d := &pageData{Identifier: email, FieldErrors: map[string]string{}}
	fields := p.signUpFields(r, f)
	// What the page can tell alone costs no hashing and no rate limit.
	if email == "" {
		d.addFieldError("email", p.t(r, "error.missingemail"))
	}
	if password != f.Get("confirm") {
		d.addFieldError("confirm", p.t(r, "error.passwordsdiffer"))
	}
	if d.Field != "" {
		p.renderSignUp(w, r, http.StatusBadRequest, ret, d, f)
		return
	}
	body := map[string]any{"Email": []map[string]string{{"Type": "Primary", "Value": email}}, "Password": password}
	for _, fl := range fields {
		if fl.Value != "" {
			body[fl.Name] = fl.Value
		}
	}
	q := url.Values{}
	if link := p.verifyLink(r, email, ret); link != "" {
		q.Set("verificationurl", link)
	}
	captchaQuery(r, q)
	e := p.core.Run(r, FlowRegister, q, body)
	if e == nil {
		p.renderCheckEmail(w, r, http.StatusOK, ret, &pageData{Identifier: email,
			Notice: p.t(r, p.byCode("notice.signupsent"), email)})
		return
	}
	p.signUpError(r, e, d, fields)
	p.renderSignUp(w, r, e.HTTPStatus(), ret, d, f)
}

// signUpError puts the core's refusal e of a sign-up into d: next to the
// fields it names, else in the alert.
func (p *Page) signUpError(r *http.Request, e *lrerr.Error, d *pageData, fields []signUpField) {
	switch e.Code {
	case lrerr.CodeValidation:
		t := p.textsFor(r)
		for _, fe := range e.Fields {
			input := signUpInput(fields, fe.FieldName)
			switch {
			case input == "":
			case input == "password":
				d.addFieldError(input, p.t(r, "error.signuppassword")+" "+p.passwordHint(r))
			case strings.HasPrefix(fe.ErrorMessage, "Sign-up is by invitation"):
				d.addFieldError(input, p.t(r, "error.notinvited"))
			case strings.HasSuffix(fe.ErrorMessage, " is required."):
				d.addFieldError(input, p.t(r, "error.fieldrequired"))
			default:
				d.addFieldError(input, fieldText(t, fe.ErrorMessage))
			}
		}
		if d.Field == "" {
			d.Error = p.errorText(r, e, 0)
		}
	case lrerr.CodeEmailTaken:
		d.addFieldError("email", p.t(r, "error.emailtaken"))
	case lrerr.CodeUsernameTaken, lrerr.CodePhoneTaken:
		input, key := signUpInput(fields, "UserName"), "error.usernametaken"
		if e.Code == lrerr.CodePhoneTaken {
			input, key = signUpInput(fields, "PhoneId"), "error.phonetaken"
			if input == "" {
				input = signUpInput(fields, "Phone")
			}
		}
		if input == "" {
			d.Error = p.t(r, key)
			return
		}
		d.addFieldError(input, p.t(r, key))
	default:
		d.Error = p.signUpFailure(r, e)
		if e.Code == lrerr.CodeCaptchaInvalid || e.Code == lrerr.CodeLockedCaptcha {
			d.Captcha = p.captchaFor(true)
		}
	}
}

// signUpFailure is the alert of a refusal that is no field's: a
// verification link the site cannot mail (908: the page's origin is not
// one of the tenant's allowed_origins; 1144: no email configured) is
// logged for the operator and said plainly.
func (p *Page) signUpFailure(r *http.Request, e *lrerr.Error) string {
	if e.Code == lrerr.CodeParameterFormat || e.Code == lrerr.CodeResourceDisabled {
		p.log.Warn("login page cannot send verification links", zap.Int("code", int(e.Code)),
			zap.String("description", e.Description), zap.String("host", r.Host))
		return p.t(r, "error.noverifybyemail")
	}
	return p.errorText(r, e, 0)
}

// renderCheckEmail is the "check your email" page, with the form that
// sends the verification email again and, when the tenant mails codes
// and the address is known, the form that takes the code.
func (p *Page) renderCheckEmail(w http.ResponseWriter, r *http.Request, status int, ret string, d *pageData) {
	if d.Title == "" {
		d.Title = p.t(r, "title.checkemail")
	}
	d.Return = ret
	nonce := p.csrfNonce(w, r)
	d.CSRF = p.csrfToken(nonce, formResend, "")
	if p.tenant.SignUp.VerifyByCode && d.Identifier != "" {
		d.CodeCSRF = p.csrfToken(nonce, formVerifyCode, codeBinding(d.Identifier))
	}
	if d.Captcha == nil {
		d.Captcha = p.captchaFor(false)
	}
	p.render(w, r, status, "checkemail", d)
}

// showResend serves GET <path>/resend: the resend form, the address
// prefilled from the query.
func (p *Page) showResend(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.renderCheckEmail(w, r, http.StatusOK, p.safeReturn(q.Get(returnParam)), &pageData{
		Title: p.t(r, "title.resend"), Identifier: strings.TrimSpace(q.Get("email"))})
}

// postResend serves POST <path>/resend: PUT /auth/register for the
// address typed. Its answer is the same whether or not anyone awaits
// that address's verification, and so is the page's.
func (p *Page) postResend(w http.ResponseWriter, r *http.Request) {
	if !p.readForm(w, r, formResend) {
		return
	}
	ret := p.safeReturn(r.PostForm.Get(returnParam))
	email := strings.TrimSpace(r.PostForm.Get("email"))
	if email == "" {
		p.renderCheckEmail(w, r, http.StatusBadRequest, ret, &pageData{Title: p.t(r, "title.resend"),
			FieldErrors: map[string]string{"email": p.t(r, "error.missingemail")}, Field: "email",
			Error: p.t(r, "error.missingemail")})
		return
	}
	q := url.Values{}
	if link := p.verifyLink(r, email, ret); link != "" {
		q.Set("verificationurl", link)
	}
	captchaQuery(r, q)
	if e := p.core.Run(r, FlowResendVerification, q, map[string]string{"email": email}); e != nil {
		d := &pageData{Title: p.t(r, "title.resend"), Identifier: email, Error: p.signUpFailure(r, e)}
		if e.Code == lrerr.CodeCaptchaInvalid {
			d.Captcha = p.captchaFor(true)
		}
		p.renderCheckEmail(w, r, e.HTTPStatus(), ret, d)
		return
	}
	p.renderCheckEmail(w, r, http.StatusOK, ret, &pageData{Identifier: email,
		Notice: p.t(r, p.byCode("notice.verificationresent"), email)})
}
