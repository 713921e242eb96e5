package recovery

import (
	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// A PIN reset, whatever proves the caller may do it (an emailed reset
// token, an OTP, the security answers), sets the new PIN after the
// tenant's PIN policy and in one transaction: consumes the proof, revokes
// every login session of the account (their access tokens fail on the
// protected path at once) and deletes its PIN session, PinAuth,
// second-factor and step-up tokens, voids its other reset tokens (PIN and
// password) and OTPs, clears the failure count (and a suspend or captcha
// lock; a block lock stays: only an operator lifts it) and records
// ResetPIN (see commit).

// resetTokenBody is the body of PUT /auth/pin/reset/token.
type resetTokenBody struct {
	PIN        string
	ResetToken string
}

// ResetPINByToken serves PUT /auth/pin/reset/token.
func (api *API) ResetPINByToken(r Request) (any, error) {
	var b resetTokenBody
	if e := apireq.DecodeJSON(r.HTTP, &b, false); e != nil {
		return nil, e
	}
	if b.ResetToken == "" {
		return nil, lrerr.Field("ResetToken", "The ResetToken is required.")
	}
	if e := r.Act.CheckPIN("PIN", b.PIN); e != nil {
		return nil, e
	}
	if err := r.Act.LimitClient(); err != nil {
		return nil, err
	}
	a, consume, err := api.tokenAccount(r, store.TokenPINReset, b.ResetToken, lrerr.CodeResetPINURLInvalid)
	if err != nil {
		return nil, err
	}
	return api.resetPIN(r, &a, b.PIN, "token", consume)
}

// resetOTPBody is the body of PUT /auth/pin/reset/otp/{email,phone,username}.
type resetOTPBody struct {
	identBody
	PIN string
	OTP string
}

// ResetPINByOTP returns the handler of PUT /auth/pin/reset/otp/<kind>:
// the identifier finds the account, the OTP (sent by SMS or email) proves
// the caller (checkOTP).
func ResetPINByOTP(kind store.IdentifierKind) func(*API, Request) (any, error) {
	return func(api *API, r Request) (any, error) {
		var b resetOTPBody
		if e := apireq.DecodeJSON(r.HTTP, &b, false); e != nil {
			return nil, e
		}
		ident, field := b.identifier(kind)
		if ident == "" {
			return nil, lrerr.Field(field, "The "+field+" is required.")
		}
		if b.OTP == "" {
			return nil, lrerr.Field("OTP", "The OTP is required.")
		}
		if e := r.Act.CheckPIN("PIN", b.PIN); e != nil {
			return nil, e
		}
		a, consume, err := api.checkOTP(r, kind, ident, b.OTP, pinOTPChannels)
		if err != nil {
			return nil, err
		}
		return api.resetPIN(r, &a, b.PIN, "otp", consume)
	}
}

// resetAnswerBody is the body of PUT
// /auth/pin/reset/securityanswer/{email,phone,username}.
type resetAnswerBody struct {
	identBody
	PIN            string
	SecurityAnswer map[string]string
}

// ResetPINByAnswer returns the handler of PUT
// /auth/pin/reset/securityanswer/<kind>: the identifier finds the
// account, answers to all of its security questions ({questionId:
// answer}) prove the caller (answerAccount).
func ResetPINByAnswer(kind store.IdentifierKind) func(*API, Request) (any, error) {
	return func(api *API, r Request) (any, error) {
		var b resetAnswerBody
		if e := apireq.DecodeJSON(r.HTTP, &b, false); e != nil {
			return nil, e
		}
		ident, field := b.identifier(kind)
		if ident == "" {
			return nil, lrerr.Field(field, "The "+field+" is required.")
		}
		if e := r.Act.CheckPIN("PIN", b.PIN); e != nil {
			return nil, e
		}
		a, err := api.answerAccount(r, kind, ident, b.SecurityAnswer)
		if err != nil {
			return nil, err
		}
		return api.resetPIN(r, &a, b.PIN, "security_answer", nil)
	}
}

// resetPIN commits the reset of account a to pin (already validated).
func (api *API) resetPIN(r Request, a *store.Account, pin, method string, consume func(store.Tx) error) (any, error) {
	return api.commit(r, a, reset{what: "pin reset", method: method, hook: webhook.ResetPIN, consume: consume,
		secret: pin, set: func(acc *store.Account, hash string) {
			acc.PINHash, acc.PINChangedAt, acc.PINSkipped = hash, r.Act.Now(), false
		}})
}
