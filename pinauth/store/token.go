package store

import "time"

// TokenKind names what an opaque token is for.
type TokenKind string

// The opaque token kinds.
const (
	// TokenPINSession is the PIN login session_token; reusable until it
	// expires or is invalidated.
	TokenPINSession TokenKind = "pin_session"
	// TokenPINAuth is the single-use PinAuthToken that lets an account
	// without a PIN set one.
	TokenPINAuth TokenKind = "pin_auth"
	// TokenRefresh is a refresh token; single use, rotated on refresh.
	TokenRefresh TokenKind = "refresh"
	// TokenPINReset is a single-use PIN reset token sent by email.
	TokenPINReset TokenKind = "pin_reset"
	// TokenPasswordReset is a single-use password reset token sent by
	// email; a PIN reset token is never one, nor the other way round.
	TokenPasswordReset TokenKind = "password_reset"
	// TokenAccountDelete is the single-use token of an emailed account
	// deletion confirmation (DELETE /auth/account, issue 20); it dies
	// with its account.
	TokenAccountDelete TokenKind = "account_delete"
	// TokenOTP is a one-time code sent by email or SMS.
	TokenOTP TokenKind = "otp"
	// TokenSecondFactor is the SecondFactorAuthenticationToken of an MFA
	// login in progress.
	TokenSecondFactor TokenKind = "second_factor"
	// TokenStepUp is a SecondFactorValidationToken proving a recent step-up.
	TokenStepUp TokenKind = "step_up"
	// TokenAccess is an access-token handle of a tenant whose token format
	// is uuid: reusable until it expires or its session is revoked.
	TokenAccess TokenKind = "access"
)

// Token is a stored opaque token. Only its hash is kept.
type Token struct {
	// Hash identifies the token: a hex SHA-256 (or keyed hash) of its value.
	Hash   string
	Kind   TokenKind
	Tenant string
	UID    string
	// SessionID binds the token to a login session ("" for none). Revoking
	// the session deletes it.
	SessionID string
	CreatedAt time.Time
	ExpiresAt time.Time
	// UsedAt is when a one-time token was consumed; zero while unused.
	UsedAt time.Time
	// Data holds small kind-specific facts (a step-up scope, the channel an
	// OTP was sent by).
	Data map[string]string
}
