package recovery

import (
	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// resetPasswordBody is the body of PUT /auth/password/reset: the
// ResetToken of a reset link, or (LoginRadius's reset by OTP) the Otp of
// a password reset code with the Email or UserName it was asked for.
type resetPasswordBody struct {
	ResetToken string
	Otp        string
	Email      string
	UserName   string
	Password   string
	// WelcomeEmailTemplate and ResetPasswordEmailTemplate are accepted,
	// as LoginRadius documents them: this gateway sends no welcome or
	// password-changed email, so they select nothing.
	WelcomeEmailTemplate       string
	ResetPasswordEmailTemplate string
}

// ResetPassword serves PUT /auth/password/reset, with a reset token (908
// when it is bad, used, replaced or expired) or an OTP with the account's
// Email or UserName (checkOTP: 1067 wrong, 1068 used, 1069 expired;
// rate-limited, counted toward the lockout, one hash for unknown accounts
// too). Either way, in one transaction it takes the proof, sets the
// password (the hash of the current pepper and parameters), clears
// NeedsSecretReset, revokes every login session of the account (their
// access and refresh tokens die with them) and deletes its PIN session,
// PinAuth, second-factor and step-up tokens, voids its other reset tokens
// and OTPs, clears the failure count (and a suspend or captcha lock; a
// block lock stays) and records ResetPassword.
func (api *API) ResetPassword(r Request) (any, error) {
	var b resetPasswordBody
	if e := apireq.DecodeJSON(r.HTTP, &b, false); e != nil {
		return nil, e
	}
	if b.ResetToken == "" && b.Otp == "" {
		return nil, lrerr.Field("ResetToken", "The ResetToken (or the Otp with the Email or UserName) is required.")
	}
	id := store.FirstIdentifier(b.Email, b.UserName, "")
	if b.ResetToken == "" && id.Value == "" {
		return nil, lrerr.Field("Email", "The Email (or UserName) the Otp was sent for is required.")
	}
	if !lrprofile.PasswordLengthOK(b.Password) {
		return nil, lrerr.Field("Password", lrprofile.MsgPasswordPolicy)
	}
	if b.ResetToken == "" {
		a, consume, err := api.checkOTP(r, id.Kind, id.Value, b.Otp, []string{passwordOTPScope})
		if err != nil {
			return nil, err
		}
		return api.resetPassword(r, &a, b.Password, "otp", consume)
	}
	if err := r.Act.LimitClient(); err != nil {
		return nil, err
	}
	a, consume, err := api.tokenAccount(r, store.TokenPasswordReset, b.ResetToken, lrerr.CodeParameterFormat)
	if err != nil {
		return nil, err
	}
	return api.resetPassword(r, &a, b.Password, "token", consume)
}

// resetPassword commits the reset of account a to password (already
// checked).
func (api *API) resetPassword(r Request, a *store.Account, password, method string, consume func(store.Tx) error) (any, error) {
	return api.commit(r, a, reset{what: "password reset", method: method, hook: webhook.ResetPassword, consume: consume,
		secret: password, set: func(acc *store.Account, hash string) {
			acc.PasswordHash, acc.NeedsSecretReset = hash, false
		}})
}
