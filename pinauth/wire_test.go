package pinauth

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/tokens"
)

// Wire fidelity with LoginRadius's published v2 documents (issue 16): the
// answers and error labels that typed SDKs and apps read.

// TestDeletionsAndRevocationsAnswerIsDeleted: LoginRadius documents
// {"IsDeleted": true} for an account deletion and both refresh-token
// revocations, and its typed SDKs read that flag.
func TestDeletionsAndRevocationsAnswerIsDeleted(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	login := e.loggedIn(testEmail)
	uid := login.body["Profile"].(map[string]any)["Uid"].(string)
	wantIsDeleted := func(what string, r response) {
		t.Helper()
		if r.status != 200 || r.raw != `{"IsDeleted":true}` {
			t.Errorf("%s: want 200 {\"IsDeleted\":true}, got %d %s", what, r.status, r.raw)
		}
	}
	wantIsDeleted("revoke a refresh token",
		e.do("GET", manage("manage/account/access_token/refresh/revoke")+"&refresh_token="+login.str("refresh_token"), nil))
	wantIsDeleted("revoke every refresh token", e.do("DELETE", manage("manage/account/"+uid+"/access_token/refresh/revoke"), nil))
	wantIsDeleted("delete the account", e.do("DELETE", manage("manage/account/"+uid), nil))
}

// TestForgotPINByPhoneAnswersTheDocumentedData: LoginRadius documents
// {"IsPosted": true, "Data": {"AccountSid", "Sid"}} for forgot PIN by phone.
// The answer has that shape whether or not the phone has an account (no
// enumeration), Sid names the send (unique per call) and no provider
// account is revealed.
func TestForgotPINByPhoneAnswersTheDocumentedData(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t)
	e.createPhoneAccount(testEmail, "alice", testPhone, testPIN)
	sids := map[string]bool{}
	for _, phone := range []string{testPhone, "+15559999999"} {
		r := e.forgot("otp", map[string]string{"phone": phone}, "")
		var body struct {
			IsPosted bool
			Data     map[string]any
		}
		if err := json.Unmarshal([]byte(r.raw), &body); err != nil || r.status != 200 || !body.IsPosted || len(body.Data) != 2 {
			t.Fatalf("forgot by phone %s: %d %s", phone, r.status, r.raw)
		}
		sid, _ := body.Data["Sid"].(string)
		if len(sid) != 32 || sids[sid] || body.Data["AccountSid"] != "" {
			t.Fatalf("forgot by phone %s: Data %v (Sid must be a fresh 32-character id, AccountSid empty)", phone, body.Data)
		}
		sids[sid] = true
	}
	e.waitIdle()
}

// TestSecondFactorAnswerHasEveryDocumentedField: the answer to a password
// that needs a second factor carries every field of LoginRadius's
// SecondFactorAuthentication object, strings and objects where it
// documents them (no null for QRCode, ManualEntryCode, EmailOTPStatus).
func TestSecondFactorAnswerHasEveryDocumentedField(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withMFA)
	e.createAccount(testEmail, testPIN)
	sfa := secondFactor(t, e.passwordLogin(testEmail, testPass))
	want := map[string]string{
		"SecondFactorAuthenticationToken": "string", "ExpireIn": "string", "QRCode": "string",
		"ManualEntryCode": "string", "IsGoogleAuthenticatorVerified": "bool", "IsAuthenticatorVerified": "bool",
		"IsEmailOtpAuthenticatorVerified": "bool", "IsOTPAuthenticatorVerified": "bool", "OTPPhoneNo": "null",
		"OTPStatus": "null", "Email": "array", "EmailOTPStatus": "object",
		"IsSecurityQuestionAuthenticatorVerified": "bool", "SecurityQuestions": "array",
	}
	for k, typ := range want {
		v, ok := sfa[k]
		if !ok {
			t.Errorf("SecondFactorAuthentication lacks %s", k)
		} else if got := jsonTypeOf(v); got != typ {
			t.Errorf("SecondFactorAuthentication.%s is %s, documented %s", k, got, typ)
		}
	}
	if len(sfa) != len(want) {
		t.Errorf("SecondFactorAuthentication has %d fields, want the %d documented: %v", len(sfa), len(want), sfa)
	}
}

// TestPINDatesAreDateStrings: LoginRadius documents PIN.SkippedDate and
// PIN.LastPINChangeDate as date strings, with .NET's zero date for a date
// that was never set.
func TestPINDatesAreDateStrings(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	uid := e.createAccount(testEmail, "")
	r := e.do("GET", manage("manage/account/"+uid), nil)
	p, _ := r.body["PIN"].(map[string]any)
	if p["SkippedDate"] != dotnetZeroDate || p["LastPINChangeDate"] != dotnetZeroDate || p["Skipped"] != false {
		t.Fatalf("PIN of an account without one: %v", p)
	}
	e.do("PUT", manage("manage/account/"+uid), map[string]any{"PINInfo": map[string]string{"PIN": testPIN}})
	r = e.do("GET", manage("manage/account/"+uid), nil)
	p, _ = r.body["PIN"].(map[string]any)
	if p["SkippedDate"] != dotnetZeroDate || p["LastPINChangeDate"] != lrprofile.Time(e.clock.Now()) {
		t.Fatalf("PIN after setting one: %v", p)
	}
}

// jsonTypeOf names the JSON type of a decoded value.
func jsonTypeOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case float64, json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	}
	return "object"
}

// dotnetZeroDate is the date LoginRadius writes for one never set.
const dotnetZeroDate = "0001-01-01T00:00:00.0000000Z"

// TestTemplateNamesMapToTemplatesAndUnknownOnesGetTheBuiltIn: LoginRadius
// documents emailtemplate as required on forgot PIN, so its SDKs send the
// template names of a LoginRadius site. An operator maps such a name to a
// set of the tenant (template_alias); any other name that is not a set
// gets the call's built-in message, never 908.
func TestTemplateNamesMapToTemplatesAndUnknownOnesGetTheBuiltIn(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t,
		"brand.subject.txt", "Brand PIN reset", "brand.txt", "Open {{.Link}}",
		"brand_sms.sms.txt", "Brand code {{.OTP}}",
		"brand_password.subject.txt", "Brand password reset", "brand_password.txt", "Open {{.Link}}",
	)
	e := newResetEnv(t, func(c *Config) {
		c.Tenants[0].MessageTemplates = dir
		c.Tenants[0].TemplateAliases = map[string]string{
			"LR-Forgot-PIN": "brand", "LR-SMS": "brand_sms", "LR-Forgot-Password": "brand_password",
		}
	})
	e.createPhoneAccount(testEmail, "alice", testPhone, testPIN)
	link := "&resetpinurl=" + url.QueryEscape(resetPage)
	subjects := []string{}
	for _, name := range []string{"LR-Forgot-PIN", "ResetPINTemplate-Default", "brand"} {
		wantOK(t, "forgot PIN with emailtemplate "+name, e.forgot("email", map[string]string{"email": testEmail}, link+"&emailtemplate="+url.QueryEscape(name)))
		_, em := e.nthEmail(len(subjects) + 1)
		subjects = append(subjects, em.Subject)
	}
	wantOK(t, "forgot password with an unknown emailtemplate",
		e.forgotPassword(testEmail, "&emailtemplate=LR-Reset&resetpasswordurl="+url.QueryEscape(resetPasswordPage)))
	_, em := e.nthEmail(4)
	wantOK(t, "forgot password with a mapped emailtemplate",
		e.forgotPassword(testEmail, "&emailtemplate=LR-Forgot-Password&resetpasswordurl="+url.QueryEscape(resetPasswordPage)))
	_, em2 := e.nthEmail(5)
	subjects = append(subjects, em.Subject, em2.Subject)
	want := []string{"Brand PIN reset", "Reset your PIN", "Brand PIN reset", "Reset your password", "Brand password reset"}
	if strings.Join(subjects, "|") != strings.Join(want, "|") {
		t.Fatalf("subjects %q, want %q", subjects, want)
	}

	for i, name := range []string{"LR-SMS", "SMSTemplate-Unknown"} {
		r := e.forgot("otp", map[string]string{"phone": testPhone}, "&smstemplate="+name)
		wantOK(t, "forgot PIN by phone with smstemplate "+name, r)
		msgs := e.sms.WaitMessages(t, i+1, mailWait)
		body := msgs[i].Body
		if brand := strings.HasPrefix(body, "Brand code "); brand != (name == "LR-SMS") {
			t.Fatalf("smstemplate %s: SMS %q", name, body)
		}
	}
}

func TestATemplateAliasToNoSetStopsTheGateway(t *testing.T) {
	t.Parallel()
	_, err := New(Config{
		Tenants: []Tenant{{Name: "demo", APIKeys: []string{testKey}, APISecret: testSecret,
			TemplateAliases: map[string]string{"LR-Forgot-PIN": "nope"}}},
		Store: openTestStore(t), Peppers: []string{testPepper}, Issuer: testIssuer, Hash: cheapHash,
	})
	if err == nil || !strings.Contains(err.Error(), `"LR-Forgot-PIN"`) || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("New = %v, want an error naming the alias and the missing set", err)
	}
}

// TestPasswordResetByOTPWithEmailOrUserName: LoginRadius documents PUT
// /auth/password/reset with Otp and Email, or Otp and Username. With the
// tenant's password_reset_email otp, forgot password mails a code; the
// code sets the password once, works for its account only, and is not a
// PIN reset code (nor is a PIN reset code a password one).
func TestPasswordResetByOTPWithEmailOrUserName(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, func(c *Config) {
		c.Tenants[0].PasswordResetEmail = config.PINResetByOTP
		c.Tenants[0].PINResetEmail = config.PINResetByOTP
	})
	e.createPhoneAccount(testEmail, "alice", testPhone, testPIN)
	reset := func(body map[string]string) response {
		return e.do("PUT", api("auth/password/reset"), body)
	}
	mails := 0
	code := func(subject string) string {
		t.Helper()
		mails++
		_, em := e.nthEmail(mails)
		if em.Subject != subject {
			t.Fatalf("email %d: subject %q, want %q", mails, em.Subject, subject)
		}
		return codeFrom(t, em.Text)
	}

	wantOK(t, "forgot password (no resetpasswordurl needed for a code)", e.forgotPassword(testEmail, ""))
	byEmail := code("Your password reset code")
	wantOK(t, "forgot PIN", e.forgot("email", map[string]string{"email": testEmail}, ""))
	pinCode := code("Your PIN reset code")
	wantCode(t, "a PIN reset code on the password reset",
		reset(map[string]string{"Otp": pinCode, "Email": testEmail, "Password": "new password 1"}), 403, int(lrerr.CodeOTPInvalid))
	wantCode(t, "the code for another account", reset(map[string]string{"Otp": byEmail, "Email": "nobody@example.com", "Password": "new password 1"}), 403, int(lrerr.CodeOTPInvalid))
	wantCode(t, "a wrong code", reset(map[string]string{"Otp": "000000", "Email": testEmail, "Password": "new password 1"}), 403, int(lrerr.CodeOTPInvalid))
	wantCode(t, "no identifier", reset(map[string]string{"Otp": byEmail, "Password": "new password 1"}), 403, int(lrerr.CodeValidation))
	// The forgot PIN voided the password code (the newest code counts).
	wantCode(t, "the code voided by a newer one", reset(map[string]string{"Otp": byEmail, "Email": testEmail, "Password": "new password 1"}), 403, int(lrerr.CodeOTPUsed))

	wantOK(t, "forgot password again", e.forgotPassword(testEmail, ""))
	byEmail = code("Your password reset code")
	wantOK(t, "reset with Otp and Email", reset(map[string]string{"Otp": byEmail, "Email": testEmail, "Password": "new password 1"}))
	wantCode(t, "the code again", reset(map[string]string{"Otp": byEmail, "Email": testEmail, "Password": "new password 2"}), 403, int(lrerr.CodeOTPUsed))
	wantCode(t, "the old password", e.passwordLogin(testEmail, testPass), 401, int(lrerr.CodeBadCredentials))
	wantOK(t, "the new password", e.passwordLogin(testEmail, "new password 1"))

	wantOK(t, "forgot password by UserName", e.do("POST", api("auth/password"), map[string]string{"UserName": "alice"}))
	byName := code("Your password reset code")
	wantCode(t, "a password code on the PIN reset",
		e.resetByOTP("email", testEmail, byName, newTestPIN), 403, int(lrerr.CodeOTPInvalid))
	wantOK(t, "reset with Otp and Username", reset(map[string]string{"otp": byName, "Username": "alice", "password": "new password 3"}))
	wantOK(t, "the newest password", e.passwordLogin(testEmail, "new password 3"))
}

// TestValidateAnswersTheSessionsCurrentRefreshToken: LoginRadius documents
// refresh_token in the validate answer. It is the login session's current
// refresh token (the one a refresh would spend), after rotations too, and
// null once the session has none; the store holds it sealed, never clear.
func TestValidateAnswersTheSessionsCurrentRefreshToken(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	login := e.loggedIn(testEmail)
	other := e.passwordLogin(testEmail, testPass)
	validate := func(access string) response {
		t.Helper()
		r := e.do("GET", api("auth/access_token/validate"), nil, withToken(access)...)
		wantOK(t, "validate", r)
		return r
	}
	if got := validate(login.str("access_token")).str("refresh_token"); got != login.str("refresh_token") {
		t.Fatalf("validate after the login: refresh_token %q, want the login's %q", got, login.str("refresh_token"))
	}
	if got := validate(other.str("access_token")).str("refresh_token"); got != other.str("refresh_token") {
		t.Fatalf("another session: refresh_token %q, want its own", got)
	}
	e.clock.Advance(time.Minute)
	next := e.refresh(login.str("refresh_token"))
	wantOK(t, "refresh", next)
	for _, access := range []string{login.str("access_token"), next.str("access_token")} {
		if got := validate(access).str("refresh_token"); got != next.str("refresh_token") {
			t.Fatalf("validate after the refresh: refresh_token %q, want the new %q", got, next.str("refresh_token"))
		}
	}
	tok, found, err := e.store.Token(t.Context(), store.TokenRefresh, secret.TokenHash(next.str("refresh_token")))
	if err != nil || !found || tok.Data[tokens.SealedRefreshKey] == "" || strings.Contains(fmt.Sprint(tok), next.str("refresh_token")) {
		t.Fatalf("stored refresh token %+v (found %v, %v): want it sealed, never in clear", tok, found, err)
	}
	wantOK(t, "the answered token refreshes", e.refresh(validate(next.str("access_token")).str("refresh_token")))

	wantOK(t, "revoke the other session's refresh family",
		e.do("GET", manage("manage/account/access_token/refresh/revoke")+"&refresh_token="+other.str("refresh_token"), nil))
	r := validate(other.str("access_token"))
	if v, ok := r.body["refresh_token"]; !ok || v != nil {
		t.Fatalf("validate without a live refresh token: %s, want refresh_token null", r.raw)
	}
}

// TestValidateOpensRefreshTokensSealedUnderAnOlderPepper: after a pepper
// rotation (the old one listed after the new), validate still answers the
// refresh tokens sealed before it.
func TestValidateOpensRefreshTokensSealedUnderAnOlderPepper(t *testing.T) {
	t.Parallel()
	st := openTestStore(t)
	before := newTestEnvOn(t, st)
	login := before.loggedIn(testEmail)
	after := newTestEnvOn(t, st, func(c *Config) { c.Peppers = []string{"unit-test-pepper-rotated-9876", testPepper} })
	r := after.do("GET", api("auth/access_token/validate"), nil, withToken(login.str("access_token"))...)
	if r.status != 200 || r.str("refresh_token") != login.str("refresh_token") {
		t.Fatalf("validate after the pepper rotation: %d %s", r.status, r.raw)
	}
}
