package pinauth

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/recovery"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// Self-service password reset, LoginRadius style: POST /auth/password
// mails a link carrying a single-use reset token (vtype=reset) to the
// resetpasswordurl page, and PUT /auth/password/reset sets a new password
// with that token. With the tenant's password_reset_email otp it mails a
// 6-digit code instead, which PUT /auth/password/reset takes as Otp with
// the Email or UserName (LoginRadius's reset by OTP). It is how an
// account imported without secrets (NeedsSecretReset) gets in on its own.
// The forgot call shares the forgot-PIN machinery: same answer whether or
// not the account exists, same background queue, sending limits (1122),
// origin check and lifetimes. Its tokens and codes are of their own kind:
// a PIN reset token or code does nothing here, a password reset token or
// code nothing on the PIN resets.

// forgotPasswordBody is the body of POST /auth/password: the Email, or
// (LoginRadius's UserName workflow) the UserName, whose account's primary
// email gets the link.
type forgotPasswordBody struct {
	Email    string
	UserName string
}

// forgotPassword serves POST /auth/password: IsPosted whether or not an
// account has the email or username, in the same time (see forgotPIN).
func (g *Gateway) forgotPassword(c *call) (any, error) {
	var b forgotPasswordBody
	if e := apireq.DecodeJSON(c.r, &b, false); e != nil {
		return nil, e
	}
	kind, ident := store.IdentEmail, b.Email
	if ident == "" {
		kind, ident = store.IdentUsername, b.UserName
	}
	if ident == "" {
		return nil, lrerr.Field("Email", "The Email (or UserName) is required.")
	}
	fr, err := g.recovery.PasswordRequest(recoveryTenant(c.tenant), c.q)
	if err != nil {
		return nil, err
	}
	return g.queueReset(c, kind, ident, fr)
}

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

// resetPassword serves PUT /auth/password/reset, with a reset token (908
// when it is bad, used, replaced or expired) or an OTP with the account's Email or UserName
// (checkOTP: 1067 wrong, 1068 used, 1069 expired; rate-limited, counted
// toward the lockout, one hash for unknown accounts too). Either way, in
// one transaction it takes the proof, sets the password (the hash of the
// current pepper and parameters), clears NeedsSecretReset, revokes every
// login session of the account (their access and refresh tokens die with
// them) and deletes its PIN session, PinAuth, second-factor and step-up
// tokens, voids its other reset tokens and OTPs, clears the failure count
// (and a suspend or captcha lock; a block lock stays) and records
// ResetPassword.
func (g *Gateway) resetPassword(c *call) (any, error) {
	var b resetPasswordBody
	if e := apireq.DecodeJSON(c.r, &b, false); e != nil {
		return nil, e
	}
	if b.ResetToken == "" && b.Otp == "" {
		return nil, lrerr.Field("ResetToken", "The ResetToken (or the Otp with the Email or UserName) is required.")
	}
	kind, ident := store.IdentEmail, b.Email
	if ident == "" {
		kind, ident = store.IdentUsername, b.UserName
	}
	if b.ResetToken == "" && ident == "" {
		return nil, lrerr.Field("Email", "The Email (or UserName) the Otp was sent for is required.")
	}
	if !lrprofile.PasswordLengthOK(b.Password) {
		return nil, lrerr.Field("Password", lrprofile.MsgPasswordPolicy)
	}
	ctx := c.r.Context()
	if b.ResetToken == "" {
		a, hash, err := g.checkOTP(ctx, c, kind, ident, b.Otp, []string{recovery.PasswordOTPScope})
		if err != nil {
			return nil, err
		}
		return g.setResetPassword(ctx, c, a, b.Password, "otp", recovery.ConsumeOTP(hash, c.now))
	}
	if err := g.limitClient(c); err != nil {
		return nil, err
	}
	a, hash, err := g.resetTokenAccount(ctx, c, store.TokenPasswordReset, b.ResetToken, lrerr.CodeParameterFormat)
	if err != nil {
		return nil, err
	}
	return g.setResetPassword(ctx, c, a, b.Password, "token", func(tx store.Tx) error {
		return recovery.ConsumeResetToken(tx, store.TokenPasswordReset, hash, c.now, lrerr.CodeParameterFormat)
	})
}

// setResetPassword commits a password reset of account a, consume taking
// the proof first in the same transaction (see resetPassword).
func (g *Gateway) setResetPassword(ctx context.Context, c *call, a store.Account, password, method string, consume func(store.Tx) error) (any, error) {
	passwordHash, err := g.hasher.Hash(ctx, c.hashClient(), password)
	if err != nil {
		return nil, g.hashQueueError(err)
	}
	ref := a.Ref()
	var revoked []string
	err = g.updateAccount(ctx, ref, consume, func(_ store.Tx, acc *store.Account) error {
		if !acc.Active {
			return lrerr.New(lrerr.CodeAccountBlocked)
		}
		acc.PasswordHash, acc.NeedsSecretReset = passwordHash, false
		return nil
	}, func(tx store.Tx, acc *store.Account) error {
		var err error
		if revoked, err = g.revokeAccountSecrets(tx, ref, c.now); err != nil {
			return err
		}
		return g.emit(tx, c, webhook.ResetPassword, acc)
	})
	if err != nil {
		return nil, lrerr.As(err)
	}
	g.cache.revokeSessions(revoked, c.now, g.cfg.AccessTTL)
	g.log.Info("password reset", zap.String("client_ip", c.clientIP), zap.String("tenant", ref.Tenant),
		zap.String("uid", ref.UID), zap.String("method", method))
	return isPosted, nil
}

// revokeAccountSecrets is what a reset of a secret revokes, in its
// transaction: every login session of the account (with the access and
// refresh tokens bound to them), its PIN session, PinAuth, second-factor,
// step-up and remaining refresh tokens, its unused reset tokens and OTPs
// of both kinds, and its failure count. It returns the revoked session
// ids for the token cache.
func (g *Gateway) revokeAccountSecrets(tx store.Tx, ref store.AccountRef, now time.Time) ([]string, error) {
	revoked, err := tx.RevokeSessions(ref, "", now)
	if err != nil {
		return nil, err
	}
	if _, err := tx.DeleteTokens(ref, []store.TokenKind{store.TokenPINSession, store.TokenPINAuth,
		store.TokenSecondFactor, store.TokenStepUp, store.TokenRefresh}, ""); err != nil {
		return nil, err
	}
	if _, err := tx.InvalidateTokens(ref, []store.TokenKind{store.TokenPINReset, store.TokenPasswordReset,
		store.TokenOTP}, "", now); err != nil {
		return nil, err
	}
	return revoked, tx.ClearAttempts(ref)
}
