package pinauth

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/securityquestion"
)

// The documented writable profile fields (issue 16, bugs 2 and 3), read
// from the shapes derived from LoginRadius's documents.

// lrDocs is tests/testdata/loginradius/shapes.json's documents: key names
// and JSON types (see its generate.go for the notation).
type lrDocs map[string]struct {
	Body   any `json:"body"`
	Output any `json:"output"`
}

func readLRDocs(t *testing.T) lrDocs {
	t.Helper()
	b, err := os.ReadFile("../tests/testdata/loginradius/shapes.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Documents lrDocs }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f.Documents
}

// The documents that define the writable fields of each write route, and
// those that answer profiles (which give the type of a field a post
// parameter shows only as null).
const (
	docCreate        = "customer-identity-api/account/account-create.json"
	docUpdate        = "customer-identity-api/account/account-update.json"
	docUpdateAnswers = "customer-identity-api/account/account-update-security-question.json"
	docToken         = "customer-identity-api/authentication/auth-update-profile-by-token.json"
	docTokenAnswers  = "customer-identity-api/authentication/auth-update-security-question-by-access-token.json"
)

var profileDocs = []string{
	docCreate, docUpdate, docUpdateAnswers, docTokenAnswers,
	"customer-identity-api/account/account-profiles-by-uid.json",
	"customer-identity-api/authentication/auth-read-profiles-by-token.json",
}

// writable returns the documented post parameters of docs with their
// shapes, a null one resolved from the profile answers.
func (d lrDocs) writable(t *testing.T, docs ...string) map[string]any {
	t.Helper()
	out := map[string]any{}
	for _, name := range docs {
		body, ok := d[name].Body.(map[string]any)
		if !ok {
			t.Fatalf("%s documents no post parameters", name)
		}
		for k, sh := range body {
			if sh == "null" {
				sh = d.outputShape(k)
			}
			out[k] = sh
		}
	}
	return out
}

// outputShape is the first non-null shape the profile answers give key.
func (d lrDocs) outputShape(key string) any {
	for _, name := range profileDocs {
		if p, ok := d[name].Output.(map[string]any); ok {
			if sh, ok := p[key]; ok && sh != "null" {
				return sh
			}
		}
	}
	return "null"
}

// sample builds a value of shape for field in round n (distinct per round).
func sample(field string, shape any, n int) any {
	switch sh := shape.(type) {
	case map[string]any:
		m := map[string]any{}
		for k, v := range sh {
			if v == "null" {
				v = "string"
			}
			m[k] = sample(field+"."+k, v, n)
		}
		return m
	case []any:
		return []any{sample(field, sh[0], n)}
	case string:
		switch sh {
		case "string":
			return fmt.Sprintf("r%d %s", n, field)
		case "number":
			return float64(n*100 + len(field))
		case "bool":
			return n%2 == 1
		case "object":
			return map[string]any{"key": fmt.Sprintf("r%d", n)}
		case "array":
			return []any{fmt.Sprintf("r%d", n)}
		}
	}
	return nil
}

// writableBody is a body setting every field of fields for round n, with
// valid identifiers; skip are left out.
func writableBody(fields map[string]any, n int, skip ...string) map[string]any {
	body := map[string]any{}
	for k, sh := range fields {
		if slices.Contains(skip, k) {
			continue
		}
		switch strings.ToLower(k) {
		case "email":
			body[k] = []map[string]string{{"Type": "Primary", "Value": fmt.Sprintf("round%d@example.com", n)}}
		case "phoneid":
			body[k] = fmt.Sprintf("+1555000%04d", n)
		case "username":
			body[k] = fmt.Sprintf("round%d", n)
		case "password":
			body[k] = fmt.Sprintf("round %d password", n)
		case "securityquestionanswer":
			body[k] = map[string]string{"q1": fmt.Sprintf("answer %d", n)}
		default:
			body[k] = sample(k, sh, n)
		}
	}
	return body
}

// sameJSON compares two values as JSON.
func sameJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	var va, vb any
	_ = json.Unmarshal(ja, &va)
	_ = json.Unmarshal(jb, &vb)
	return reflect.DeepEqual(va, vb)
}

// wantStored checks that profile (an answer of the gateway) holds every
// field of body as sent; the secrets are checked by use instead.
func wantStored(t *testing.T, what string, profile, body map[string]any) {
	t.Helper()
	for k, v := range body {
		switch strings.ToLower(k) {
		case "password", "securityquestionanswer", "isloginlocked":
			continue
		}
		if got, ok := profile[k]; !ok || !sameJSON(got, v) {
			t.Errorf("%s: %s = %v (present %v), sent %v", what, k, got, ok, v)
		}
	}
}

func TestEveryDocumentedWritableProfileFieldRoundTrips(t *testing.T) {
	t.Parallel()
	docs := readLRDocs(t)
	e := newTestEnv(t, withQuestions, func(c *Config) { c.Tenants[0].PINOptional = true })
	manageAccount := func(uid string) map[string]any {
		t.Helper()
		r := e.do("GET", manage("manage/account/"+uid), nil)
		wantOK(t, "read the account", r)
		return r.body
	}
	questions := func(email string) response {
		return e.do("GET", api("auth/securityquestion/email")+"&email="+email, nil)
	}

	// Create (POST /manage/account): every documented field.
	create := writableBody(docs.writable(t, docCreate), 1)
	if len(create) < 100 {
		t.Fatalf("only %d writable fields documented for create: the test data is truncated", len(create))
	}
	r := e.do("POST", manage("manage/account"), create)
	wantOK(t, "create with every documented field", r)
	uid := r.str("Uid")
	wantStored(t, "the create answer", r.body, create)
	wantStored(t, "the account after create", manageAccount(uid), create)
	wantOK(t, "a login with the created password", e.passwordLogin("round1@example.com", "round 1 password"))

	// Update by uid (PUT /manage/account/{uid}): every documented field,
	// the security answers of "Account Update Security Question
	// Configuration" included.
	update := writableBody(docs.writable(t, docUpdate, docUpdateAnswers), 2, "IsLoginLocked")
	r = e.do("PUT", manage("manage/account/"+uid), update)
	wantOK(t, "update by uid with every documented field", r)
	wantStored(t, "the update answer", r.body, update)
	wantStored(t, "the account after update by uid", manageAccount(uid), update)
	if r := questions("round1@example.com"); r.status != 200 || !strings.Contains(r.raw, `"QuestionId":"q1"`) {
		t.Fatalf("the security answer set by uid is not stored: %d %s", r.status, r.raw)
	}

	// Update by token (PUT /auth/account): every documented field, the
	// security answers of "Update Security Question by Access token"
	// included; Email, PhoneId and Uid as the account has them (a change
	// needs the management API).
	login := e.passwordLogin("round1@example.com", "round 1 password")
	wantOK(t, "login", login)
	own := writableBody(docs.writable(t, docToken, docTokenAnswers), 3)
	own["Email"] = create["Email"]
	own["PhoneId"] = create["PhoneId"]
	own["Uid"] = uid
	r = e.do("PUT", api("auth/account"), own, withToken(login.str("access_token"))...)
	wantOK(t, "update by token with every documented field", r)
	data, _ := r.body["Data"].(map[string]any)
	wantStored(t, "the update-by-token answer", data, own)
	wantStored(t, "the account after update by token", manageAccount(uid), own)
	answered := e.do("PUT", api("auth/pin/reset/securityanswer/email"), map[string]any{
		"Email": "round1@example.com", "PIN": newTestPIN, "SecurityAnswer": map[string]string{"q1": "answer 3"}})
	wantOK(t, "a PIN reset with the answer set by token", answered)

	// IsLoginLocked (update by uid) locks and unlocks.
	wantOK(t, "lock", e.do("PUT", manage("manage/account/"+uid), map[string]any{"IsLoginLocked": true}))
	if p := manageAccount(uid); p["IsLoginLocked"] != true {
		t.Fatalf("IsLoginLocked true is not stored: %v", p["IsLoginLocked"])
	}
	wantCode(t, "a login of the locked account", e.passwordLogin("round1@example.com", "round 1 password"), 403, int(lrerr.CodeAccountBlocked))
	wantOK(t, "unlock", e.do("PUT", manage("manage/account/"+uid), map[string]any{"IsLoginLocked": false}))
	wantOK(t, "a login after the unlock", e.passwordLogin("round1@example.com", "round 1 password"))
}

func TestDocumentedObjectFieldsKeepTheirShapeAndWrongShapesAreRefused(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	uid := e.createAccount(testEmail, testPIN)
	body := map[string]any{
		"Country":      map[string]string{"Code": "US", "Name": "United States"},
		"Addresses":    []map[string]any{{"Type": "Primary", "City": "Edmonton", "Country": "Canada"}},
		"PhoneNumbers": []map[string]string{{"PhoneType": "Mobile", "PhoneNumber": "18882052816"}},
		"Company":      "Night Watch",
		"Positions":    []map[string]any{{"Position": "astronaut", "Company": map[string]string{"Name": "NASA"}}},
		"InterestedIn": []string{"go"},
	}
	r := e.do("PUT", manage("manage/account/"+uid), body)
	wantOK(t, "documented object fields", r)
	wantStored(t, "the answer", r.body, body)
	for _, c := range []struct {
		field string
		value any
	}{
		{"Country", "US"},
		{"Addresses", map[string]string{"City": "Edmonton"}},
		{"PhoneNumbers", []string{"18882052816"}},
		{"Company", map[string]string{"Name": "NASA"}},
		{"InterestedIn", []int{1}},
		{"FollowersCount", "many"},
	} {
		wantCode(t, c.field+" in a shape LoginRadius does not document",
			e.do("PUT", manage("manage/account/"+uid), map[string]any{c.field: c.value}), 400, int(lrerr.CodePutBodyInvalid))
	}
	wantStored(t, "after the refusals", e.do("GET", manage("manage/account/"+uid), nil).body, body)
}

func TestProfileWritesRefuseWhatTheyCannotStore(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withQuestions)
	uid := e.createAccount(testEmail, testPIN)
	for _, c := range []struct {
		what   string
		method string
		path   string
		body   map[string]any
		field  string
	}{
		{"a PIN outside PINInfo", "PUT", manage("manage/account/" + uid), map[string]any{"PIN": "5555"}, "PIN"},
		{"a password hash", "PUT", manage("manage/account/" + uid), map[string]any{"PasswordHash": "x"}, "PasswordHash"},
		{"another Uid", "PUT", manage("manage/account/" + uid), map[string]any{"Uid": "0123456789abcdef0123456789abcdef"}, "Uid"},
		{"IsDeleted true", "PUT", manage("manage/account/" + uid), map[string]any{"IsDeleted": true}, "IsDeleted"},
		{"an answer to no question of the site", "PUT", manage("manage/account/" + uid), map[string]any{"SecurityQuestionAnswer": map[string]string{"q9": "x"}}, securityquestion.Field},
		{"a Uid on create", "POST", manage("manage/account"), map[string]any{"Email": []map[string]string{{"Value": "b@example.com"}}, "Password": testPass, "Uid": "custom"}, "Uid"},
	} {
		r := e.do(c.method, c.path, c.body)
		wantCode(t, c.what, r, 403, int(lrerr.CodeValidation))
		if !strings.Contains(r.raw, `"FieldName":"`+c.field+`"`) {
			t.Errorf("%s: the refusal does not name %s: %s", c.what, c.field, r.raw)
		}
	}
	// The same values as the account's are no change: a profile read and
	// sent back is accepted, read-only fields and all.
	p := e.do("GET", manage("manage/account/"+uid), nil).body
	delete(p, "PIN")
	wantOK(t, "the profile sent back as read", e.do("PUT", manage("manage/account/"+uid), p))
}

// TestSecurityAnswersAsLoginRadiusDocumentsThemAreStored: "Account Update
// Security Question Configuration" (PUT /manage/account/{uid}) and "Update
// Security Question by Access token" (PUT /auth/account) send
// securityquestionanswer as {questionId: answer}; both store it (hashed)
// and the question list then names the questions.
func TestSecurityAnswersAsLoginRadiusDocumentsThemAreStored(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withQuestions)
	uid := e.createAccount(testEmail, testPIN)
	list := func() response { return e.do("GET", api("auth/securityquestion/email")+"&email="+testEmail, nil) }
	wantCode(t, "the question list of an account without answers", list(), 403, int(lrerr.CodeSecurityAnswersNotSet))
	wantOK(t, "answers by uid", e.do("PUT", manage("manage/account/"+uid), map[string]any{"securityquestionanswer": map[string]string{"q1": "Paris"}}))
	if r := list(); r.status != 200 || !strings.Contains(r.raw, `"QuestionId":"q1"`) || strings.Contains(r.raw, "q2") {
		t.Fatalf("question list after the answer by uid: %d %s", r.status, r.raw)
	}
	login := e.passwordLogin(testEmail, testPass)
	wantOK(t, "answers by token", e.do("PUT", api("auth/account"), map[string]any{"securityquestionanswer": map[string]string{"q2": "Rex"}},
		withToken(login.str("access_token"))...))
	if r := list(); r.status != 200 || !strings.Contains(r.raw, `"QuestionId":"q1"`) || !strings.Contains(r.raw, `"QuestionId":"q2"`) {
		t.Fatalf("question list after the answer by token: %d %s", r.status, r.raw)
	}
	a := e.account(uid)
	for qid, h := range a.SecurityAnswers {
		if strings.Contains(h, "Paris") || strings.Contains(h, "Rex") || !strings.HasPrefix(h, "$argon2id$") {
			t.Fatalf("answer %s stored as %q: want an argon2id hash", qid, h)
		}
	}
	wantOK(t, "a PIN reset with both answers", e.do("PUT", api("auth/pin/reset/securityanswer/email"), map[string]any{
		"Email": testEmail, "PIN": newTestPIN, "SecurityAnswer": map[string]string{"q1": "paris", "q2": "rex"}}))
}

// TestTheProfileFieldTableIsTheDocumentedOne holds profileFields to the
// documents: every writable field of the three write documents is in it
// (or modelled by the gateway) with the documented JSON type.
func TestTheProfileFieldTableIsTheDocumentedOne(t *testing.T) {
	t.Parallel()
	docs := readLRDocs(t)
	kindOf := func(sh any) string {
		switch sh.(type) {
		case map[string]any:
			return "object"
		case []any:
			return "array"
		}
		return sh.(string)
	}
	for k, sh := range docs.writable(t, docCreate, docUpdate, docToken) {
		lk := strings.ToLower(k)
		if lrprofile.IsModelledKey(lk) || lrprofile.IsSecretKey(lk) {
			continue
		}
		f, ok := lrprofile.LookupField(lk)
		if !ok {
			t.Errorf("%s is documented as writable but not in profileFields", k)
			continue
		}
		if f.Name != k {
			t.Errorf("%s is spelt %s in profileFields", k, f.Name)
		}
		if kind := kindOf(sh); !strings.Contains("|"+f.Kinds+"|", "|"+kind+"|") {
			t.Errorf("%s: profileFields says %s, the documents %s", k, f.Kinds, kind)
		}
		if arr, ok := sh.([]any); ok && f.Items != kindOf(arr[0]) {
			t.Errorf("%s: profileFields says items %q, the documents %s", k, f.Items, kindOf(arr[0]))
		}
	}
}
