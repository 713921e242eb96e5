package pinauth

import "github.com/pinauth/caddy-pinauth/pinauth/lrerr"

// The error catalogue lives in package lrerr; these aliases keep the
// core's names while the call sites move to it.
type (
	// Code is lrerr.Code.
	Code = lrerr.Code
	// Error is lrerr.Error.
	Error = lrerr.Error
	// FieldError is lrerr.FieldError.
	FieldError = lrerr.FieldError
)

// The error codes, as in lrerr.
const (
	CodeAPIKeyUnauthorized    = lrerr.CodeAPIKeyUnauthorized
	CodeAPISecretInvalid      = lrerr.CodeAPISecretInvalid
	CodeAccessTokenInvalid    = lrerr.CodeAccessTokenInvalid
	CodeAccessTokenExpired    = lrerr.CodeAccessTokenExpired
	CodeParameterFormat       = lrerr.CodeParameterFormat
	CodeEmailTaken            = lrerr.CodeEmailTaken
	CodeUsernameTaken         = lrerr.CodeUsernameTaken
	CodePhoneTaken            = lrerr.CodePhoneTaken
	CodeUserNotFound          = lrerr.CodeUserNotFound
	CodePostBodyInvalid       = lrerr.CodePostBodyInvalid
	CodeBadCredentials        = lrerr.CodeBadCredentials
	CodeCaptchaInvalid        = lrerr.CodeCaptchaInvalid
	CodeAccountBlocked        = lrerr.CodeAccountBlocked
	CodeAccessTokenMissing    = lrerr.CodeAccessTokenMissing
	CodePutBodyInvalid        = lrerr.CodePutBodyInvalid
	CodeOTPInvalid            = lrerr.CodeOTPInvalid
	CodeOTPUsed               = lrerr.CodeOTPUsed
	CodeOTPExpired            = lrerr.CodeOTPExpired
	CodeBodyInvalid           = lrerr.CodeBodyInvalid
	CodeSecurityAnswerWrong   = lrerr.CodeSecurityAnswerWrong
	CodeEmailLimit            = lrerr.CodeEmailLimit
	CodeSMSLimit              = lrerr.CodeSMSLimit
	CodeLockedCaptcha         = lrerr.CodeLockedCaptcha
	CodeValidation            = lrerr.CodeValidation
	CodeSecondFactorInvalid   = lrerr.CodeSecondFactorInvalid
	CodeLockedSuspended       = lrerr.CodeLockedSuspended
	CodeRefreshTokenInvalid   = lrerr.CodeRefreshTokenInvalid
	CodePINNotConfigured      = lrerr.CodePINNotConfigured
	CodePINMissing            = lrerr.CodePINMissing
	CodePINNotAvailable       = lrerr.CodePINNotAvailable
	CodePINInvalid            = lrerr.CodePINInvalid
	CodePINAuthTokenInvalid   = lrerr.CodePINAuthTokenInvalid
	CodePINAuthTokenExpired   = lrerr.CodePINAuthTokenExpired
	CodeCurrentPINInvalid     = lrerr.CodeCurrentPINInvalid
	CodePINRequired           = lrerr.CodePINRequired
	CodeSessionTokenInvalid   = lrerr.CodeSessionTokenInvalid
	CodeSessionTokenExpired   = lrerr.CodeSessionTokenExpired
	CodeResetPINURLInvalid    = lrerr.CodeResetPINURLInvalid
	CodeSecurityAnswersNotSet = lrerr.CodeSecurityAnswersNotSet
	CodePlanExpired           = lrerr.CodePlanExpired
	CodeTooManyRequests       = lrerr.CodeTooManyRequests
	CodeUnavailable           = lrerr.CodeUnavailable
	CodeNotFound              = lrerr.CodeNotFound
	CodeInternal              = lrerr.CodeInternal
)

func errCode(code Code) *Error              { return lrerr.New(code) }
func errDesc(code Code, desc string) *Error { return lrerr.WithDescription(code, desc) }
func errInternal(cause error) *Error        { return lrerr.Internal(cause) }
func errUnavailable(cause error) *Error     { return lrerr.Unavailable(cause) }
func asError(err error) *Error              { return lrerr.As(err) }
