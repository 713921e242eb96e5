package pinauth

import (
	"time"

	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// Self-service password reset, LoginRadius style: POST /auth/password
// mails a link carrying a single-use reset token (vtype=reset) to the
// resetpasswordurl page, and PUT /auth/password/reset sets a new password
// with that token. It is how an account imported without secrets
// (NeedsSecretReset) gets in on its own. The forgot call shares the
// forgot-PIN machinery: same answer whether or not the account exists,
// same background queue, sending limits (1122), origin check and token
// lifetime. Its tokens are of their own kind: a PIN reset token does
// nothing here, a password reset token nothing on /auth/pin/reset/token.

// Descriptions of the password reset's refusals (code 908).
const (
	descResetPasswordURLMissing = "The resetpasswordurl is a required parameter."
	descResetPasswordURLInvalid = "The resetpasswordurl is not an allowed origin of this site."
)

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
	if e := decodeJSON(c.r, &b, false); e != nil {
		return nil, e
	}
	kind, ident := store.IdentEmail, b.Email
	if ident == "" {
		kind, ident = store.IdentUsername, b.UserName
	}
	if ident == "" {
		return nil, fieldError("Email", "The Email (or UserName) is required.")
	}
	if g.cfg.Email == nil {
		return nil, errDesc(CodeParameterFormat, "Password reset by email is not configured for this site.")
	}
	fr := forgotRequest{what: "password reset", channel: channelEmail, linkType: resetLinkTypePassword,
		tokenKind: store.TokenPasswordReset, limit: g.cfg.Email.Limit, limitErr: CodeEmailLimit,
		ttl: g.cfg.ResetTokenTTL, timeout: g.cfg.Email.Timeout}
	name := c.q.get("emailtemplate")
	if name == "" {
		name = setPasswordResetLink
	}
	if fr.set = g.reset.templates[c.tenant.Name].email(name); fr.set == nil {
		return nil, errDesc(CodeParameterFormat, "The emailtemplate is not an email template of this site.")
	}
	raw := c.q.get("resetpasswordurl")
	if raw == "" {
		return nil, errDesc(CodeParameterFormat, descResetPasswordURLMissing)
	}
	base, err := c.tenant.resetLinkBase(raw)
	if err != nil {
		return nil, errDesc(CodeParameterFormat, descResetPasswordURLInvalid)
	}
	fr.linkBase = base
	return g.queueReset(c, kind, ident, fr)
}

// resetPasswordBody is the body of PUT /auth/password/reset.
type resetPasswordBody struct {
	ResetToken string
	Password   string
}

// resetPasswordByToken serves PUT /auth/password/reset. In one
// transaction it takes the token, sets the password (the hash of the
// current pepper and parameters), clears NeedsSecretReset, revokes every
// login session of the account (their access and refresh tokens die with
// them) and deletes its PIN session, PinAuth, second-factor and step-up
// tokens, voids its other reset tokens and OTPs, clears the failure count
// (and a suspend or captcha lock; a block lock stays) and records
// ResetPassword. A bad, used, replaced or expired token is 908.
func (g *Gateway) resetPasswordByToken(c *call) (any, error) {
	var b resetPasswordBody
	if e := decodeJSON(c.r, &b, false); e != nil {
		return nil, e
	}
	if b.ResetToken == "" {
		return nil, fieldError("ResetToken", "The ResetToken is required.")
	}
	if !passwordLengthOK(b.Password) {
		return nil, fieldError("Password", msgPasswordPolicy)
	}
	if err := g.limitClient(c); err != nil {
		return nil, err
	}
	ctx := c.r.Context()
	a, hash, err := g.resetTokenAccount(ctx, c, store.TokenPasswordReset, b.ResetToken, CodeParameterFormat)
	if err != nil {
		return nil, err
	}
	passwordHash, err := g.hasher.hash(ctx, b.Password)
	if err != nil {
		return nil, g.hashQueueError(err)
	}
	ref := a.Ref()
	var revoked []string
	err = g.updateAccount(ctx, ref, func(tx store.Tx) error {
		return consumeResetToken(tx, store.TokenPasswordReset, hash, c.now, CodeParameterFormat)
	}, func(_ store.Tx, acc *store.Account) error {
		if !acc.Active {
			return errCode(CodeAccountBlocked)
		}
		acc.PasswordHash, acc.NeedsSecretReset = passwordHash, false
		return nil
	}, func(tx store.Tx, acc *store.Account) error {
		var err error
		if revoked, err = g.revokeAccountSecrets(tx, ref, c.now); err != nil {
			return err
		}
		return g.emit(tx, c, HookResetPassword, acc)
	})
	if err != nil {
		return nil, asError(err)
	}
	g.cache.revokeSessions(revoked, c.now, g.cfg.AccessTTL)
	g.log.Info("password reset", zap.String("client_ip", c.clientIP), zap.String("tenant", ref.Tenant),
		zap.String("uid", ref.UID), zap.String("method", "token"))
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
