// Package lrerr is the LoginRadius error catalogue: every error code the
// gateway answers with, its HTTP status, Message and default Description,
// and Error, the client-facing error that carries a code. It owns the
// response texts and the wire shape of an error body (Body); writing the
// response (headers, logging the cause) is the caller's job. It imports
// nothing of the gateway.
package lrerr

import (
	"errors"
	"maps"
	"net/http"
	"slices"
	"time"
)

// Code is a LoginRadius error code.
type Code int

// The error codes the gateway returns (see spec/api.md §4).
const (
	CodeAPIKeyUnauthorized    Code = 901
	CodeAPISecretInvalid      Code = 902
	CodeAccessTokenInvalid    Code = 905
	CodeAccessTokenExpired    Code = 906
	CodeParameterFormat       Code = 908
	CodeEmailTaken            Code = 936
	CodeUsernameTaken         Code = 1017
	CodePhoneTaken            Code = 1058
	CodeUserNotFound          Code = 938
	CodePostBodyInvalid       Code = 965
	CodeBadCredentials        Code = 966
	CodeCaptchaInvalid        Code = 982
	CodeAccountBlocked        Code = 991
	CodeAccessTokenMissing    Code = 1060
	CodePutBodyInvalid        Code = 1079
	CodeOTPInvalid            Code = 1067
	CodeOTPUsed               Code = 1068
	CodeOTPExpired            Code = 1069
	CodeBodyInvalid           Code = 1090
	CodeSecurityAnswerWrong   Code = 1093
	CodeEmailLimit            Code = 1122
	CodeSMSLimit              Code = 1123
	CodeLockedCaptcha         Code = 1132
	CodeValidation            Code = 1134
	CodeSecondFactorInvalid   Code = 1193
	CodeLockedSuspended       Code = 1198
	CodeRefreshTokenInvalid   Code = 1217
	CodePINNotConfigured      Code = 1233
	CodePINMissing            Code = 1234
	CodePINNotAvailable       Code = 1235
	CodePINInvalid            Code = 1236
	CodePINAuthTokenInvalid   Code = 1239
	CodePINAuthTokenExpired   Code = 1240
	CodeCurrentPINInvalid     Code = 1241
	CodePINRequired           Code = 1243
	CodeSessionTokenInvalid   Code = 1245
	CodeSessionTokenExpired   Code = 1246
	CodeResetPINURLInvalid    Code = 1248
	CodeSecurityAnswersNotSet Code = 1259
	// CodeSecurityQuestionMFADisabled: the tenant does not require the
	// security-question second factor (issue 20).
	CodeSecurityQuestionMFADisabled Code = 1257
	CodeCurrentPasswordInvalid      Code = 967
	CodeResourceDisabled            Code = 1144
	// Email verification (issue 20).
	CodeEmailNotVerified        Code = 970
	CodeEmailAlreadyVerified    Code = 1025
	CodeVerificationLinkInvalid Code = 973
	CodeVerificationLinkUsed    Code = 974
	CodeVerificationLinkExpired Code = 975
	// The roles management API (issue 20).
	CodeRoleNotFound                 Code = 1047
	CodeRoleContextInvalid           Code = 1133
	CodeAdditionalPermissionNotFound Code = 1142
	CodeRoleNameInvalid              Code = 1175
	// Emails (issue 20).
	CodeLastEmail     Code = 1005
	CodeEmailNotFound Code = 1023
	// Account self-service (issue 20).
	CodeDeleteTokenInvalid Code = 1119
	CodeAlreadyUnlocked    Code = 1221
	CodePlanExpired        Code = 6003
	CodeTooManyRequests    Code = 429
	CodeUnavailable        Code = 503
	// CodeNotFound is ours: an unknown API path or method.
	CodeNotFound Code = 404
	// CodeInternal is ours: an unexpected fault; the client sees no detail.
	CodeInternal Code = 500
)

// Entry is one row of the catalogue.
type Entry struct {
	// Status is the HTTP status of the response.
	Status int
	// Message is LoginRadius's Message for the code.
	Message string
	// Description is the default Description.
	Description string
}

// catalogue maps every code to its HTTP status, Message and default
// Description. It is the only place response texts are defined.
var catalogue = map[Code]Entry{
	CodeAPIKeyUnauthorized:           {403, "The API key is unauthorized", "The API key is invalid or not authorized for this tenant."},
	CodeAPISecretInvalid:             {401, "The API secret is unauthorized", "The API secret is missing or invalid."},
	CodeAccessTokenInvalid:           {403, "Access token is invalid", "The provided access token is invalid."},
	CodeAccessTokenExpired:           {403, "Access token has expired", "The provided access token has expired; obtain a new one."},
	CodeParameterFormat:              {403, "A parameter is not formatted correctly", "A parameter is not formatted correctly."},
	CodeEmailTaken:                   {403, "Email address is already registered with your LoginRadius site", "The email address is already registered with this tenant; use another one."},
	CodeUsernameTaken:                {403, "This username is already registered with this website", "The user name is already taken in this tenant (as a user name, an email, a phone or a Uid); use another one."},
	CodePhoneTaken:                   {403, "Phone number is already registered with your LoginRadius site", "The phone number is already taken in this tenant (as a phone or a user name); use another one."},
	CodeUserNotFound:                 {403, "User does not exist", "The user does not exist."},
	CodePostBodyInvalid:              {400, "The post body is invalid", "The request body is not valid JSON of the expected shape."},
	CodeBadCredentials:               {401, "Invalid user ID and/or password", "The user ID and/or password you entered is invalid."},
	CodeCaptchaInvalid:               {403, "CAPTCHA is invalid", "The CAPTCHA response is missing or invalid."},
	CodeAccountBlocked:               {403, "Your account is blocked", "This account is blocked; contact the site administrator."},
	CodeAccessTokenMissing:           {400, "Access token is missing", "The access token is a required parameter."},
	CodePutBodyInvalid:               {400, "Put body is invalid", "The request body is not valid JSON of the expected shape."},
	CodeOTPInvalid:                   {403, "Invalid OTP Code", "The OTP code is invalid."},
	CodeOTPUsed:                      {403, "The OTP has already been used", "The OTP has already been used; request a new one."},
	CodeOTPExpired:                   {403, "Verification OTP has expired", "The OTP has expired; request a new one."},
	CodeBodyInvalid:                  {400, "Invalid request body or payload", "The request body or payload is invalid."},
	CodeSecurityAnswerWrong:          {403, "Your security answer is incorrect", "The security answer you entered is incorrect."},
	CodeEmailLimit:                   {403, "You have reached a limit for sending emails", "Too many emails were requested; try again later."},
	CodeSMSLimit:                     {403, "You have reached a limit for sending SMS", "Too many SMS were requested; try again later."},
	CodeLockedCaptcha:                {403, "Your account has been locked", "Your account has been locked; retry with a solved CAPTCHA."},
	CodeValidation:                   {403, "Validation failed for one or more fields", "Validation failed for one or more fields; see Errors."},
	CodeSecondFactorInvalid:          {403, "Two factor validation token is invalid", "The second-factor token is invalid or has expired."},
	CodeLockedSuspended:              {403, "Your account has been locked", "Your account has been locked after too many failed attempts; try again after LoginLockedTimeout."},
	CodeRefreshTokenInvalid:          {403, "Refresh token invalid", "The refresh token is invalid, expired or already used."},
	CodePINNotConfigured:             {403, "PIN Authentication is not configured.", "PIN authentication is not configured for this tenant."},
	CodePINMissing:                   {403, "PIN is required", "The PIN is a required parameter."},
	CodePINNotAvailable:              {403, "PIN is not available", "This account has no PIN set."},
	CodePINInvalid:                   {401, "Invalid PIN", "Please use a valid PIN for the Authentication."},
	CodePINAuthTokenInvalid:          {403, "PINAuth token is invalid", "The PINAuth token is invalid."},
	CodePINAuthTokenExpired:          {403, "PINAuth token has expired", "The PINAuth token has expired; log in again."},
	CodeCurrentPINInvalid:            {401, "Current pin is invalid", "The current PIN you entered is invalid."},
	CodePINRequired:                  {403, "PIN is required", "A PIN must be set for this account; use Data.PINAuthToken to set it."},
	CodeSessionTokenInvalid:          {403, "Session token is invalid", "The session token is invalid."},
	CodeSessionTokenExpired:          {403, "Session token has expired", "The session token has expired; log in with your password again."},
	CodeResetPINURLInvalid:           {403, "The reset pin URL is invalid", "The reset PIN URL is not an allowed origin of this tenant."},
	CodeSecurityAnswersNotSet:        {403, "Security question two factor authentication is not verified on the profile", "Security question answers are not set for this account."},
	CodeSecurityQuestionMFADisabled:  {403, "Security question two factor authentication is not enabled", "This tenant does not require security questions as a second factor, so there is no authenticator to reset."},
	CodeCurrentPasswordInvalid:       {401, "Current password is invalid", "The current password you entered is invalid."},
	CodeResourceDisabled:             {403, "Your LoginRadius site has disabled for this resource", "This resource is disabled."},
	CodeEmailAlreadyVerified:         {403, "This email address is already verified", "The email address is verified already; there is nothing to verify."},
	CodeEmailNotVerified:             {403, "Email is not verified", "The account's email is not verified yet; open the link of the verification email, or ask for a new one."},
	CodeVerificationLinkInvalid:      {403, "Invalid email verification link", "The email verification token is invalid."},
	CodeVerificationLinkUsed:         {403, "The email verification link has already been used", "The email verification link was used, or a newer one was sent."},
	CodeVerificationLinkExpired:      {403, "Your verification link has expired", "The email verification link has expired; ask for a new one."},
	CodeRoleNotFound:                 {400, "Role does not exist", "A role named in the request is not a role of this tenant."},
	CodeRoleContextInvalid:           {403, "Role Context Name is not Valid", "The account has no role context of that name."},
	CodeAdditionalPermissionNotFound: {403, "Additional Permission does not exist", "The role context has no such additional permission."},
	CodeRoleNameInvalid:              {403, "Role Name is not valid or already exists", "The role name is empty, has a character a role name may not have (control characters, comma, |, /), or is taken."},
	CodeLastEmail:                    {403, "User account should have at least one email address", "The email is the account's only identifier: add another email, a username or a phone first."},
	CodeEmailNotFound:                {403, "Email address does not exist", "The account has no such email address."},
	CodeDeleteTokenInvalid:           {403, "The LoginRadius DeleteToken is invalid", "The delete token is invalid."},
	CodeAlreadyUnlocked:              {403, "Account is already unlocked", "The account is not locked."},
	CodePlanExpired:                  {403, "Trial plan expired", "The trial plan has expired. To continue using the service, please contact support."},
	CodeTooManyRequests:              {429, "Too many requests in a particular time frame", "Too many requests from this client; retry after the time in Retry-After."},
	CodeUnavailable:                  {503, "Service temporarily unavailable", "The service is temporarily unavailable; retry after the time in Retry-After."},
	CodeNotFound:                     {404, "The requested resource was not found", "No API endpoint matches this method and path."},
	CodeInternal:                     {500, "An internal error occurred", "An internal error occurred; the request was not completed."},
}

// Error is a client-facing error in LoginRadius's shape. The gateway
// returns it (or wraps it) for every failure a client may see; one function
// of the core turns it into a response.
type Error struct {
	Code Code
	// Description overrides the catalogue's description when not "".
	Description string
	// Fields are field errors (code 1134).
	Fields []FieldError
	// Data is extra response data (PINAuthToken, LoginLockedTimeout).
	Data map[string]any
	// RetryAfter sets a Retry-After header when positive.
	RetryAfter time.Duration
	// Status overrides the catalogue status when not 0 (oversized bodies
	// answer 413 with a body-invalid code).
	Status int
	// Cause is the internal error behind a 500/503; logged, never sent.
	Cause error
}

// FieldError is one entry of a 1134 response's Errors list.
type FieldError struct {
	FieldName    string `json:"FieldName"`
	ErrorMessage string `json:"ErrorMessage"`
}

// Error returns the catalogue's Message, and the cause's text when there
// is one (for logs; clients never see it).
func (e *Error) Error() string {
	msg := catalogue[e.Code].Message
	if e.Cause != nil {
		return msg + ": " + e.Cause.Error()
	}
	return msg
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Cause }

// New returns a new *Error for code.
func New(code Code) *Error { return &Error{Code: code} }

// WithDescription returns a new *Error for code with a specific
// description.
func WithDescription(code Code, desc string) *Error { return &Error{Code: code, Description: desc} }

// Field returns the 1134 validation error of one field.
func Field(field, msg string) *Error {
	return &Error{Code: CodeValidation, Fields: []FieldError{{FieldName: field, ErrorMessage: msg}}}
}

// Internal wraps a fault: the client sees only the catalogue text.
func Internal(cause error) *Error { return &Error{Code: CodeInternal, Cause: cause} }

// Unavailable wraps a store fault or a full queue: fail closed with 503.
func Unavailable(cause error) *Error {
	return &Error{Code: CodeUnavailable, Cause: cause, RetryAfter: 5 * time.Second}
}

// As converts any error to the *Error the client will see: an *Error in
// err's chain, else 503 (Unavailable). Store and context faults become
// 503: the gateway fails closed.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Unavailable(err)
}

// HTTPStatus returns the HTTP status of e: its Status when set, else the
// catalogue's, else 500.
func (e *Error) HTTPStatus() int {
	if e.Status != 0 {
		return e.Status
	}
	if st := catalogue[e.Code].Status; st != 0 {
		return st
	}
	return http.StatusInternalServerError
}

// Lookup returns the catalogue entry of code.
func Lookup(code Code) (Entry, bool) {
	ent, ok := catalogue[code]
	return ent, ok
}

// Codes returns every code of the catalogue, in ascending order.
func Codes() []Code {
	return slices.Sorted(maps.Keys(catalogue))
}

// Body is the wire shape of an error.
type Body struct {
	Description           string         `json:"Description"`
	ErrorCode             int            `json:"ErrorCode"`
	Message               string         `json:"Message"`
	IsProviderError       bool           `json:"IsProviderError"`
	ProviderErrorResponse any            `json:"ProviderErrorResponse"`
	Errors                []FieldError   `json:"Errors,omitempty"`
	Data                  map[string]any `json:"Data,omitempty"`
}

// Body returns e as it is sent: the catalogue's Message and Description
// (or e's own Description), the code, field errors and data.
func (e *Error) Body() Body {
	ent := catalogue[e.Code]
	desc := ent.Description
	if e.Description != "" {
		desc = e.Description
	}
	return Body{
		Description: desc,
		ErrorCode:   int(e.Code),
		Message:     ent.Message,
		Errors:      e.Fields,
		Data:        e.Data,
	}
}
