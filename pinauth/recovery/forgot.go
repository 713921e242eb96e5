package recovery

import (
	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// identBody is the identifier part of the forgot-PIN bodies and of the
// reset-by-OTP and reset-by-answer bodies.
type identBody struct {
	Email    string
	UserName string
	Phone    string
}

// identifier returns the identifier of kind in b and its field name.
func (b *identBody) identifier(kind store.IdentifierKind) (value, field string) {
	switch kind {
	case store.IdentEmail:
		return b.Email, "Email"
	case store.IdentUsername:
		return b.UserName, "UserName"
	}
	return b.Phone, "Phone"
}

// ForgotPINBy returns the handler of POST /auth/pin/forgot/email,
// /auth/pin/forgot/username (an email with a reset link, or with an OTP
// when the tenant's pin_reset_email is otp) and /auth/pin/forgot/otp (an
// SMS with an OTP to the account's phone).
//
// It answers IsPosted whether or not the account exists, in the same
// time (design: no enumeration): the call itself only validates its
// input, counts the sending limits and queues a job (enqueue). An account's
// earlier tokens or codes stop working when a new one is issued: only the
// newest counts.
func ForgotPINBy(kind store.IdentifierKind) func(*API, Request) (any, error) {
	return func(api *API, r Request) (any, error) {
		var b identBody
		if e := apireq.DecodeJSON(r.HTTP, &b, false); e != nil {
			return nil, e
		}
		ident, field := b.identifier(kind)
		if ident == "" {
			return nil, lrerr.Field(field, "The "+field+" is required.")
		}
		fr, err := api.secrets.pinMessage(r.Act.Settings(), kind, r.Query)
		if err != nil {
			return nil, err
		}
		return api.queue(r, kind, ident, fr)
	}
}

// forgotPasswordBody is the body of POST /auth/password: the Email, or
// (LoginRadius's UserName workflow) the UserName, whose account's primary
// email gets the link.
type forgotPasswordBody struct {
	Email    string
	UserName string
}

// ForgotPassword serves POST /auth/password: IsPosted whether or not an
// account has the email or username, in the same time (see ForgotPINBy).
//
// Self-service password reset, LoginRadius style: it mails a link
// carrying a single-use reset token (vtype=reset) to the resetpasswordurl
// page, and PUT /auth/password/reset (ResetPassword) sets a new password
// with that token. With the tenant's password_reset_email otp it mails a
// 6-digit code instead, which the reset takes as Otp with the Email or
// UserName (LoginRadius's reset by OTP). It is how an account imported
// without secrets (NeedsSecretReset) gets in on its own. It shares the
// forgot-PIN machinery: same answer whether or not the account exists,
// same background queue, sending limits (1122), origin check and
// lifetimes. Its tokens and codes are of their own kind: a PIN reset
// token or code does nothing here, a password reset token or code nothing
// on the PIN resets.
func (api *API) ForgotPassword(r Request) (any, error) {
	var b forgotPasswordBody
	if e := apireq.DecodeJSON(r.HTTP, &b, false); e != nil {
		return nil, e
	}
	id := store.FirstIdentifier(b.Email, b.UserName, "")
	if id.Value == "" {
		return nil, lrerr.Field("Email", "The Email (or UserName) is required.")
	}
	fr, err := api.secrets.passwordMessage(r.Act.Settings(), r.Query)
	if err != nil {
		return nil, err
	}
	return api.queue(r, id.Kind, id.Value, fr)
}

// queue is the common end of the forgot calls: it checks the captcha
// (always mode), then counts the sending limits and queues the job that
// sends fr to the account of ident, if there is one (enqueue). It answers
// IsPosted (with the send's ids in Data for an SMS).
func (api *API) queue(r Request, kind store.IdentifierKind, ident string, fr message) (any, error) {
	// With the captcha's always mode the forgot calls need a solved
	// captcha too: each makes the gateway send an email or an SMS, which
	// bots abuse (SMS pumping). No account is named, which keeps the
	// answer the same whether the identifier exists or not.
	ctx := r.HTTP.Context()
	if err := r.Act.CaptchaGate(ctx); err != nil {
		return nil, err
	}
	sendID, err := api.secrets.enqueue(sendCall{Ctx: ctx, Tenant: r.Act.Tenant(), ClientIP: r.Act.ClientIP(), Now: r.Act.Now(),
		Limited: r.Act.LogFailure}, kind, ident, fr)
	if err != nil {
		return nil, err
	}
	if fr.SMS() {
		return smsPosted(sendID), nil
	}
	return isPosted, nil
}
