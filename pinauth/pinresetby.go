package pinauth

import (
	"context"

	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/recovery"
	"github.com/pinauth/caddy-pinauth/pinauth/securityquestion"
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
// ResetPIN (see revokeAccountSecrets).

// resetTokenBody is the body of PUT /auth/pin/reset/token.
type resetTokenBody struct {
	PIN        string
	ResetToken string
}

// resetPINByToken serves PUT /auth/pin/reset/token.
func (g *Gateway) resetPINByToken(c *call) (any, error) {
	var b resetTokenBody
	if e := apireq.DecodeJSON(c.r, &b, false); e != nil {
		return nil, e
	}
	if b.ResetToken == "" {
		return nil, lrerr.Field("ResetToken", "The ResetToken is required.")
	}
	if e := validatePIN(c.tenant, "PIN", b.PIN); e != nil {
		return nil, e
	}
	if err := g.limitClient(c); err != nil {
		return nil, err
	}
	ctx := c.r.Context()
	a, hash, err := g.resetTokenAccount(ctx, c, store.TokenPINReset, b.ResetToken, lrerr.CodeResetPINURLInvalid)
	if err != nil {
		return nil, err
	}
	return g.resetPIN(ctx, c, &a, b.PIN, "token", func(tx store.Tx) error {
		// Taken inside the transaction: of concurrent resets with one
		// token exactly one sets its PIN.
		return recovery.ConsumeResetToken(tx, store.TokenPINReset, hash, c.now, lrerr.CodeResetPINURLInvalid)
	})
}

// resetIdentBody is the identifier part of the reset-by-OTP and
// reset-by-answer bodies.
type resetIdentBody struct {
	Email    string
	UserName string
	Phone    string
}

func (b *resetIdentBody) identifier(kind store.IdentifierKind) (value, field string) {
	f := forgotBody(*b)
	return f.identifier(kind)
}

// resetOTPBody is the body of PUT /auth/pin/reset/otp/{email,phone,username}.
type resetOTPBody struct {
	resetIdentBody
	PIN string
	OTP string
}

// resetPINByOTPWith returns the handler of PUT /auth/pin/reset/otp/<kind>:
// the identifier finds the account, the OTP (sent by SMS or email) proves
// the caller (checkOTP).
func resetPINByOTPWith(kind store.IdentifierKind) func(*Gateway, *call) (any, error) {
	return func(g *Gateway, c *call) (any, error) {
		var b resetOTPBody
		if e := apireq.DecodeJSON(c.r, &b, false); e != nil {
			return nil, e
		}
		ident, field := b.identifier(kind)
		if ident == "" {
			return nil, lrerr.Field(field, "The "+field+" is required.")
		}
		if b.OTP == "" {
			return nil, lrerr.Field("OTP", "The OTP is required.")
		}
		if e := validatePIN(c.tenant, "PIN", b.PIN); e != nil {
			return nil, e
		}
		ctx := c.r.Context()
		a, hash, err := g.checkOTP(ctx, c, kind, ident, b.OTP, recovery.PINOTPChannels)
		if err != nil {
			return nil, err
		}
		return g.resetPIN(ctx, c, &a, b.PIN, "otp", recovery.ConsumeOTP(hash, c.now))
	}
}

// checkOTP finds the account of ident and checks code against its OTPs
// hashed under channels. Every OTP check goes through the credential gate:
// it is rate-limited per IP, counts toward the lockout and costs one hash,
// also for an unknown account, which answers 1067 like a wrong code. A
// used code (or one replaced by a newer one) is 1068, an expired one 1069,
// a blocked account 991. It returns the account and the code's hash, for
// recovery.ConsumeOTP.
func (g *Gateway) checkOTP(ctx context.Context, c *call, kind store.IdentifierKind, ident, code string, channels []string) (store.Account, string, error) {
	a, found, err := g.accountByIdentifier(ctx, c.tenant.Name, kind, ident)
	if err != nil {
		return a, "", lrerr.Unavailable(err)
	}
	if !found {
		_, err := g.checkCredential(ctx, c, credentialCheck{unknown: ident, secret: code, failure: lrerr.CodeOTPInvalid, reason: "unknown_account"})
		return a, "", err
	}
	var hash string
	var failure lrerr.Code
	var lookupErr error
	_, err = g.checkCredential(ctx, c, credentialCheck{
		account: &a, secret: code, failure: lrerr.CodeOTPInvalid, reason: "otp",
		compare: func() (bool, bool) {
			// One hash, as an unknown account costs, so timing does
			// not tell them apart.
			g.hasher.VerifyDummy(code)
			hash, failure, lookupErr = g.recovery.FindOTP(ctx, &a, code, c.now, channels)
			return lookupErr == nil && failure == 0, false
		},
	})
	if lookupErr != nil {
		return a, "", lrerr.Unavailable(lookupErr)
	}
	if err != nil {
		if e := lrerr.As(err); e.Code == lrerr.CodeOTPInvalid && failure != 0 {
			e.Code = failure
		}
		return a, "", err
	}
	if !a.Active {
		return a, "", lrerr.New(lrerr.CodeAccountBlocked)
	}
	return a, hash, nil
}

// resetAnswerBody is the body of PUT
// /auth/pin/reset/securityanswer/{email,phone,username}.
type resetAnswerBody struct {
	resetIdentBody
	PIN            string
	SecurityAnswer map[string]string
}

// resetPINByAnswerWith returns the handler of PUT
// /auth/pin/reset/securityanswer/<kind>: the identifier finds the
// account, answers to all of its security questions ({questionId:
// answer}) prove the caller. Wrong answers are 1093 and count toward the
// lockout; an unknown account, like one without answers, is 1259 (as the
// question list of GET /auth/securityquestion/… says).
func resetPINByAnswerWith(kind store.IdentifierKind) func(*Gateway, *call) (any, error) {
	return func(g *Gateway, c *call) (any, error) {
		var b resetAnswerBody
		if e := apireq.DecodeJSON(c.r, &b, false); e != nil {
			return nil, e
		}
		ident, field := b.identifier(kind)
		if ident == "" {
			return nil, lrerr.Field(field, "The "+field+" is required.")
		}
		if e := validatePIN(c.tenant, "PIN", b.PIN); e != nil {
			return nil, e
		}
		ctx := c.r.Context()
		a, found, err := g.accountByIdentifier(ctx, c.tenant.Name, kind, ident)
		if err != nil {
			return nil, lrerr.Unavailable(err)
		}
		if !found {
			return nil, lrerr.New(lrerr.CodeSecurityAnswersNotSet)
		}
		if err := g.checkAnswers(ctx, c, &a, securityquestion.FromMap(b.SecurityAnswer)); err != nil {
			return nil, err
		}
		if !a.Active {
			return nil, lrerr.New(lrerr.CodeAccountBlocked)
		}
		return g.resetPIN(ctx, c, &a, b.PIN, "security_answer", nil)
	}
}

// resetPIN hashes pin (already validated) and commits the reset of
// account a; consume, when set, takes the proof first in the same
// transaction.
func (g *Gateway) resetPIN(ctx context.Context, c *call, a *store.Account, pin, method string, consume func(tx store.Tx) error) (any, error) {
	pinHash, err := g.hasher.Hash(ctx, c.hashClient(), pin)
	if err != nil {
		return nil, g.hashQueueError(err)
	}
	ref := a.Ref()
	var revoked []string
	err = g.updateAccount(ctx, ref, consume, func(_ store.Tx, acc *store.Account) error {
		if !acc.Active {
			return lrerr.New(lrerr.CodeAccountBlocked)
		}
		acc.PINHash, acc.PINChangedAt, acc.PINSkipped = pinHash, c.now, false
		return nil
	}, func(tx store.Tx, acc *store.Account) error {
		var err error
		if revoked, err = g.revokeAccountSecrets(tx, ref, c.now); err != nil {
			return err
		}
		return g.emit(tx, c, webhook.ResetPIN, acc)
	})
	if err != nil {
		return nil, lrerr.As(err)
	}
	g.cache.revokeSessions(revoked, c.now, g.cfg.AccessTTL)
	g.log.Info("pin reset", zap.String("client_ip", c.clientIP), zap.String("tenant", ref.Tenant),
		zap.String("uid", ref.UID), zap.String("method", method))
	return isPosted, nil
}
