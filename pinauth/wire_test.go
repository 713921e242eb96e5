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
