package pinauth

import (
	"encoding/json"
	"os"
	"strconv"
	"testing"
)

// Wire fidelity with LoginRadius's published v2 documents (issue 16): the
// answers and error labels that typed SDKs and apps read.

// TestCatalogueMatchesLoginRadiusResponseCodes holds every code the
// gateway shares with LoginRadius to the HTTP status and Message label of
// LoginRadius's response-code list (testdata derived from it): apps match
// on both.
func TestCatalogueMatchesLoginRadiusResponseCodes(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("testdata/loginradius/response-codes.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Codes map[string]struct {
			Status  int
			Message string
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for code, ent := range catalogue {
		want, documented := doc.Codes[strconv.Itoa(int(code))]
		if !documented {
			continue // the gateway's own codes (404, 429, 500, 503, 6003)
		}
		if ent.status != want.Status || ent.message != want.Message {
			t.Errorf("error %d: the catalogue says %d %q, LoginRadius documents %d %q",
				code, ent.status, ent.message, want.Status, want.Message)
		}
	}
	if len(doc.Codes) < 30 {
		t.Fatalf("only %d documented codes read: the testdata is truncated", len(doc.Codes))
	}
}

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
	if p["SkippedDate"] != dotnetZeroDate || p["LastPINChangeDate"] != lrTime(e.clock.Now()) {
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
