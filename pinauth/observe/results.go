package observe

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
)

// LoginResults lists every LoginResult, for pre-binding metric labels.
var LoginResults = []LoginResult{LoginSuccess, LoginContinue, LoginInvalid, LoginLocked, LoginBlocked,
	LoginCaptcha, LoginRateLimited, LoginRejected, LoginError}

func (r LoginResult) String() string {
	return [...]string{"success", "continue", "invalid", "locked", "blocked", "captcha", "rate_limited", "rejected", "error"}[r]
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
)

// TokenResults lists every TokenResult, for pre-binding metric labels.
var TokenResults = []TokenResult{TokenValid, TokenInvalid, TokenExpired, TokenBlocked, TokenError}

func (r TokenResult) String() string {
	return [...]string{"valid", "invalid", "expired", "blocked", "error"}[r]
}

// APISecretRefusal is why a call needing the API secret was refused.
type APISecretRefusal uint8

// The refusals.
const (
	// SecretMissing: the call sent no secret (902).
	SecretMissing APISecretRefusal = iota
	// SecretWrong: the call sent a wrong secret (902).
	SecretWrong
	// SecretLimited: the client sent too many wrong secrets (429).
	SecretLimited
)

// APISecretRefusals lists every APISecretRefusal, for pre-binding metric
// labels.
var APISecretRefusals = []APISecretRefusal{SecretMissing, SecretWrong, SecretLimited}

func (r APISecretRefusal) String() string {
	return [...]string{"missing", "wrong", "rate_limited"}[r]
}
