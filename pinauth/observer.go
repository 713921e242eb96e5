package pinauth

import (
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/captcha"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// Observer is told what the gateway does, so that the program embedding it
// can count it (the Caddy adapter exports Prometheus metrics) or react to
// it (the adapter emits Caddy events). The core itself knows no metrics
// library. Methods must be cheap, must not block and must be safe for
// concurrent use: they run on request paths, TokenVerified on every
// proxied request. Implementations embed NopObserver so that methods added
// later cost them nothing.
type Observer interface {
	// Login reports a finished login call of a tenant.
	Login(tenant string, method LoginMethod, result LoginResult)
	// CredentialFailed reports a failed check of a secret (a wrong
	// password, PIN or answer, an unknown account or session token, a
	// missing captcha) or a check refused because the account is locked.
	CredentialFailed(f CredentialFailure)
	// APISecretRefused reports a call refused for its API secret: none,
	// a wrong one, or one from a client that sent too many wrong ones.
	APISecretRefused(tenant string, why APISecretRefusal)
	// AccountLocked reports that an account was locked: once per lock,
	// on the node that locked it.
	AccountLocked(l AccountLock)
	// TokenVerified reports one access-token check of the protected path;
	// cached tells whether the verified token came from the cache.
	TokenVerified(result TokenResult, cached bool)
	// CaptchaVerified reports a captcha checked with its provider.
	CaptchaVerified(provider string, result captcha.Result)
	// HashWaited reports how long a hash or credential check waited for a
	// hashing slot (0 when one was free).
	HashWaited(d time.Duration)
	// StoreCall reports the duration of one store operation.
	StoreCall(op StoreOp, d time.Duration, failed bool)
	// WebhookDelivered reports the outcome of one delivery attempt.
	WebhookDelivered(result webhook.Result)
}

// NopObserver ignores everything; embed it to implement only some of
// Observer's methods.
type NopObserver struct{}

// Login implements Observer.
func (NopObserver) Login(string, LoginMethod, LoginResult) {}

// CredentialFailed implements Observer.
func (NopObserver) CredentialFailed(CredentialFailure) {}

// APISecretRefused implements Observer.
func (NopObserver) APISecretRefused(string, APISecretRefusal) {}

// AccountLocked implements Observer.
func (NopObserver) AccountLocked(AccountLock) {}

// TokenVerified implements Observer.
func (NopObserver) TokenVerified(TokenResult, bool) {}

// CaptchaVerified implements Observer.
func (NopObserver) CaptchaVerified(string, captcha.Result) {}

// HashWaited implements Observer.
func (NopObserver) HashWaited(time.Duration) {}

// StoreCall implements Observer.
func (NopObserver) StoreCall(StoreOp, time.Duration, bool) {}

// WebhookDelivered implements Observer.
func (NopObserver) WebhookDelivered(webhook.Result) {}

// CredentialFailure describes a failed credential check.
type CredentialFailure struct {
	Tenant string
	// UID is the account's, "" when none was found.
	UID      string
	ClientIP string
	// Reason is the log's reason: password, pin, pin_change (a wrong
	// OldPIN), pin_reauth, security_answer, otp, unknown_account,
	// invalid_session_token, captcha_missing, captcha_invalid,
	// rate_limited, send_limited_ip, send_limited_identifier, or a
	// checked one with _locked.
	Reason string
}

// AccountLock describes an account that was just locked.
type AccountLock struct {
	Tenant   string
	UID      string
	ClientIP string
	Type     store.LockType
	Until    time.Time
}

// LoginMethod is how a login was attempted.
type LoginMethod uint8

// The login methods.
const (
	LoginPassword LoginMethod = iota
	LoginPIN
	// LoginPINSet is the first PIN set with a PinAuthToken, which logs in.
	LoginPINSet
	// LoginSecondFactor is the security-answer step of an MFA login.
	LoginSecondFactor
	numLoginMethods
)

// LoginMethods lists every LoginMethod, for pre-binding metric labels.
var LoginMethods = []LoginMethod{LoginPassword, LoginPIN, LoginPINSet, LoginSecondFactor}

func (m LoginMethod) String() string {
	return [...]string{"password", "pin", "pin_set", "second_factor"}[m]
}

// LoginResult is how a login call ended.
type LoginResult uint8

// The login results.
const (
	// LoginSuccess: tokens were issued.
	LoginSuccess LoginResult = iota
	// LoginContinue: the password was right, a PIN must be set or a
	// second factor given next.
	LoginContinue
	// LoginInvalid: a wrong secret, an unknown account or token.
	LoginInvalid
	// LoginLocked: the account is locked (suspend or captcha lock).
	LoginLocked
	// LoginBlocked: the account is blocked.
	LoginBlocked
	// LoginCaptcha: a captcha was required and missing or wrong.
	LoginCaptcha
	// LoginRateLimited: the client's rate limit was reached.
	LoginRateLimited
	// LoginRejected: the request was malformed.
	LoginRejected
	// LoginError: the gateway could not decide (store down, queue full).
	LoginError
	numLoginResults
)

// LoginResults lists every LoginResult, for pre-binding metric labels.
var LoginResults = []LoginResult{LoginSuccess, LoginContinue, LoginInvalid, LoginLocked, LoginBlocked,
	LoginCaptcha, LoginRateLimited, LoginRejected, LoginError}

func (r LoginResult) String() string {
	return [...]string{"success", "continue", "invalid", "locked", "blocked", "captcha", "rate_limited", "rejected", "error"}[r]
}

// loginResultOf classifies a login handler's outcome.
func loginResultOf(res any, err error) LoginResult {
	if err == nil {
		if _, ok := res.(loginResponse); ok {
			return LoginSuccess
		}
		return LoginContinue
	}
	e := lrerr.As(err)
	switch e.Code {
	case lrerr.CodePINRequired:
		return LoginContinue
	case lrerr.CodeBadCredentials, lrerr.CodePINInvalid, lrerr.CodeSecurityAnswerWrong, lrerr.CodeSessionTokenInvalid,
		lrerr.CodeSessionTokenExpired, lrerr.CodePINAuthTokenInvalid, lrerr.CodePINAuthTokenExpired, lrerr.CodeSecondFactorInvalid,
		lrerr.CodePINNotAvailable:
		return LoginInvalid
	case lrerr.CodeLockedSuspended, lrerr.CodeLockedCaptcha:
		return LoginLocked
	case lrerr.CodeAccountBlocked:
		return LoginBlocked
	case lrerr.CodeCaptchaInvalid:
		return LoginCaptcha
	case lrerr.CodeTooManyRequests:
		return LoginRateLimited
	case lrerr.CodeUnavailable, lrerr.CodeInternal:
		return LoginError
	}
	return LoginRejected
}

// observeLogin reports a login handler's outcome; handlers defer it.
func (g *Gateway) observeLogin(c *call, m LoginMethod, res *any, err *error) {
	if c.tenant != nil {
		g.obs.Login(c.tenant.Name, m, loginResultOf(*res, *err))
	}
}

// TokenResult is the outcome of an access-token check.
type TokenResult uint8

// The token results.
const (
	TokenValid TokenResult = iota
	TokenInvalid
	TokenExpired
	// TokenBlocked: a valid token of a blocked account.
	TokenBlocked
	// TokenError: the check could not be made (store down).
	TokenError
	numTokenResults
)

// TokenResults lists every TokenResult, for pre-binding metric labels.
var TokenResults = []TokenResult{TokenValid, TokenInvalid, TokenExpired, TokenBlocked, TokenError}

func (r TokenResult) String() string {
	return [...]string{"valid", "invalid", "expired", "blocked", "error"}[r]
}

// tokenResultOf classifies an authenticate error.
func tokenResultOf(e *lrerr.Error) TokenResult {
	switch {
	case e == nil:
		return TokenValid
	case e.Code == lrerr.CodeAccessTokenExpired:
		return TokenExpired
	case e.Code == lrerr.CodeAccountBlocked:
		return TokenBlocked
	case e.Code == lrerr.CodeUnavailable || e.Code == lrerr.CodeInternal:
		return TokenError
	}
	return TokenInvalid
}
