package pinauth

import (
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/observe"
)

// loginResultOf classifies a login handler's outcome.
func loginResultOf(res any, err error) observe.LoginResult {
	if err == nil {
		if _, ok := res.(loginResponse); ok {
			return observe.LoginSuccess
		}
		return observe.LoginContinue
	}
	e := lrerr.As(err)
	switch e.Code {
	case lrerr.CodePINRequired:
		return observe.LoginContinue
	case lrerr.CodeBadCredentials, lrerr.CodePINInvalid, lrerr.CodeSecurityAnswerWrong, lrerr.CodeSessionTokenInvalid,
		lrerr.CodeSessionTokenExpired, lrerr.CodePINAuthTokenInvalid, lrerr.CodePINAuthTokenExpired, lrerr.CodeSecondFactorInvalid,
		lrerr.CodePINNotAvailable:
		return observe.LoginInvalid
	case lrerr.CodeLockedSuspended, lrerr.CodeLockedCaptcha:
		return observe.LoginLocked
	case lrerr.CodeAccountBlocked:
		return observe.LoginBlocked
	case lrerr.CodeCaptchaInvalid:
		return observe.LoginCaptcha
	case lrerr.CodeTooManyRequests:
		return observe.LoginRateLimited
	case lrerr.CodeUnavailable, lrerr.CodeInternal:
		return observe.LoginError
	}
	return observe.LoginRejected
}

// observeLogin reports a login handler's outcome; handlers defer it.
func (g *Gateway) observeLogin(c *call, m observe.LoginMethod, res *any, err *error) {
	if c.tenant != nil {
		g.obs.Login(c.tenant.Name, m, loginResultOf(*res, *err))
	}
}

// tokenResultOf classifies an authenticate error.
func tokenResultOf(e *lrerr.Error) observe.TokenResult {
	switch {
	case e == nil:
		return observe.TokenValid
	case e.Code == lrerr.CodeAccessTokenExpired:
		return observe.TokenExpired
	case e.Code == lrerr.CodeAccountBlocked:
		return observe.TokenBlocked
	case e.Code == lrerr.CodeUnavailable || e.Code == lrerr.CodeInternal:
		return observe.TokenError
	}
	return observe.TokenInvalid
}
