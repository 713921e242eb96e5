package loginpage

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"

	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
)

// Core is what the page needs from the gateway: the login flows, the
// tokens' checks and the account's lockout state. The page holds no
// credentials itself; every decision about a secret is the core's.
type Core interface {
	// Login runs flow for the browser of r as the API would for the
	// page's tenant: the same input validation, lockout, captcha, rate
	// limits and webhooks apply. q and body are the API call's query and
	// JSON body. Nil tokens without an error mean the login needs a step
	// the page does not offer (a second factor).
	Login(r *http.Request, flow Flow, q url.Values, body any) (*Tokens, *lrerr.Error)
	// SessionOf reads the tenant, account and login session of an access
	// token the core has just issued (Access and Refresh are left empty).
	SessionOf(ctx context.Context, access string) (Session, *lrerr.Error)
	// Authenticate verifies an access token, as the protected path does,
	// and returns its account.
	Authenticate(ctx context.Context, access string) (Account, *lrerr.Error)
	// Account returns an account; found is false when there is none.
	Account(ctx context.Context, tenant, uid string) (a Account, found bool, err error)
	// Refresh trades a refresh token for new tokens (rotating it).
	Refresh(ctx context.Context, tenant, refresh string) (*Tokens, *lrerr.Error)
	// RevokeSession ends a login session with its refresh and PIN session
	// tokens.
	RevokeSession(ctx context.Context, tenant, uid, sid string) error
	// Status is an account's lockout state, read once after a wrong PIN.
	Status(ctx context.Context, tenant, uid string) Status
	// IdentifierStatus is Status for the account a login form names by
	// an identifier of kind, read once after a wrong password. An
	// identifier without an account answers as an account would.
	IdentifierStatus(ctx context.Context, kind IdentifierKind, value string) Status
	// AddressStatus is Status for the account awaiting the verification
	// of address email (FlowVerifyEmailByCode's), read once after a wrong
	// code. An address no account awaits answers as an account would.
	AddressStatus(ctx context.Context, email string) Status
	// Recover runs a recovery flow (a forgot call or a reset) for the
	// browser of r as the API would, like Login. A reset by an emailed
	// token returns the token's account; other flows an empty Account.
	Recover(r *http.Request, flow Flow, q url.Values, body map[string]any) (Account, *lrerr.Error)
	// Recovery says how an account can reset its PIN.
	Recovery(ctx context.Context, tenant, uid string) (Recovery, error)
	// Run runs a flow whose answer is success or an error (the password
	// change, the sign-up, its verification) for the browser of r as the
	// API would, like Login.
	Run(r *http.Request, flow Flow, q url.Values, body any) *lrerr.Error
}

// IdentifierKind says what a typed identifier is.
type IdentifierKind string

// The identifier kinds of the forms (the store's names).
const (
	IdentEmail    IdentifierKind = "email"
	IdentUsername IdentifierKind = "username"
	IdentPhone    IdentifierKind = "phone"
)

// identifierKind reads what a person typed as an identifier: an email has
// an @, a phone is + and digits, anything else is a username.
func identifierKind(ident string) IdentifierKind {
	switch {
	case strings.Contains(ident, "@"):
		return IdentEmail
	case strings.HasPrefix(ident, "+") && lrprofile.AllDigits(ident[1:]):
		return IdentPhone
	}
	return IdentUsername
}

// apiField is the API body's field of an identifier of kind k.
func (k IdentifierKind) apiField() string {
	switch k {
	case IdentEmail:
		return "Email"
	case IdentPhone:
		return "Phone"
	}
	return "UserName"
}

// Flow names a login flow of the core.
type Flow int

// The login flows the page runs.
const (
	// FlowPassword is the password login; the body holds Password and
	// one of Email, Phone and UserName.
	FlowPassword Flow = iota
	// FlowPIN is the PIN login of a device: query session_token, body PIN.
	FlowPIN
	// FlowSetPIN sets the first PIN: query pinauthtoken, body PIN.
	FlowSetPIN
	// FlowForgotPassword mails a password reset link: query
	// resetpasswordurl, body Email or UserName.
	FlowForgotPassword
	// FlowResetPassword sets a new password: body ResetToken, Password.
	FlowResetPassword
	// FlowForgotPINByEmail mails a PIN reset link (or code, by the
	// tenant's setting): query resetpinurl, body Email.
	FlowForgotPINByEmail
	// FlowForgotPINBySMS texts a PIN reset code: body Phone.
	FlowForgotPINBySMS
	// FlowResetPINByToken sets a new PIN: body ResetToken, PIN.
	FlowResetPINByToken
	// FlowResetPINByEmail and FlowResetPINBySMS set a new PIN with a
	// code: body Email or Phone, OTP, PIN.
	FlowResetPINByEmail
	FlowResetPINBySMS
	// FlowResetPINByAnswers sets a new PIN with the answers to the
	// account's security questions: body Email, SecurityAnswer, PIN.
	FlowResetPINByAnswers
	// FlowChangePassword changes the password of a signed-in account:
	// query access_token, body OldPassword, NewPassword.
	FlowChangePassword
	// FlowRegister signs up (POST /auth/register): query
	// verificationurl, body Email, Password and the required fields.
	FlowRegister
	// FlowResendVerification mails a new verification link (PUT
	// /auth/register): query verificationurl, body email.
	FlowResendVerification
	// FlowVerifyEmail verifies an email by the token of its link (GET
	// /auth/email): query verificationtoken.
	FlowVerifyEmail
	// FlowVerifyEmailByCode verifies an email by the code its email
	// carried (PUT /auth/email): body email, otp.
	FlowVerifyEmailByCode
)

// Recovery is how an account can reset its PIN.
type Recovery struct {
	// Account names the account and its addresses.
	Account Account
	// EmailLink, EmailOTP and SMS say which messages the tenant sends
	// and the account can receive: a link by email, a code by email, a
	// code by SMS.
	EmailLink, EmailOTP, SMS bool
	// Questions are the security questions the account has answered.
	Questions []Question
}

// Question is a security question.
type Question struct {
	// ID is the question's id; Text its wording.
	ID, Text string
}

// Tokens are what a login or a refresh returns.
type Tokens struct {
	// Access and Refresh are the login session's tokens.
	Access, Refresh string
	// SessionToken is the PIN session_token of a PIN login or a first
	// PIN, "" otherwise.
	SessionToken string
}

// Account names an account the way the page shows it.
type Account struct {
	// Email, Username and Phone are the account's; any may be empty.
	Email, Username, Phone string
}

// display is the name the page shows for the account: its email, else its
// username.
func (a Account) display() string {
	if a.Email != "" {
		return a.Email
	}
	return a.Username
}

// Status is an account's lockout state after a failed check.
type Status struct {
	// Left is how many more wrong PINs the account can take before it
	// locks; 0 when none or unknown.
	Left int
	// Lock is the lock error when the account is locked now, else nil.
	Lock *lrerr.Error
	// CaptchaDue is true when the account's next check needs a captcha.
	CaptchaDue bool
}
