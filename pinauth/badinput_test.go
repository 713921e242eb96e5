package pinauth

import (
	"strings"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

func TestTenantErrors(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, func(c *Config) {
		c.Tenants = append(c.Tenants, Tenant{Name: "expired", APIKeys: []string{"exp-key"}, APISecret: "expired-api-secret",
			PlanExpires: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	})
	cases := []struct {
		name, method, path string
		status, code       int
		desc               string
	}{
		{"missing apikey", "POST", "/identity/v2/auth/login/pin?session_token=x", 403, 908, "The apikey is a required parameter."},
		{"unknown apikey", "POST", "/identity/v2/auth/login/pin?apikey=nope", 403, 901, ""},
		{"expired plan", "POST", "/identity/v2/auth/login/pin?apikey=exp-key", 403, 6003,
			"The trial plan has expired. To continue using the service, please contact support."},
		{"missing secret", "GET", "/identity/v2/manage/account?apikey=" + testKey + "&email=a@b.c", 401, 902, ""},
		{"wrong secret", "GET", "/identity/v2/manage/account?apikey=" + testKey + "&apisecret=x&email=a@b.c", 401, 902, ""},
		{"unknown endpoint", "GET", "/identity/v2/nope?apikey=" + testKey, 404, 404, ""},
		{"wrong method", "GET", "/identity/v2/auth/login/pin?apikey=" + testKey, 405, 404, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.method, tc.path, `{"pin":"4821"}`)
			if r.status != tc.status || r.code() != tc.code {
				t.Fatalf("want %d/%d, got %d %s", tc.status, tc.code, r.status, r.raw)
			}
			if tc.desc != "" && r.str("Description") != tc.desc {
				t.Fatalf("Description = %q, want %q", r.str("Description"), tc.desc)
			}
			for _, k := range []string{"ErrorCode", "Message", "Description", "IsProviderError", "ProviderErrorResponse"} {
				if _, ok := r.body[k]; !ok {
					t.Fatalf("error body lacks %s: %s", k, r.raw)
				}
			}
		})
	}
}

func TestTheAPIKeyAndSecretHeadersWorkLikeTheQuery(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	e.createAccount(testEmail, testPIN)
	body := map[string]string{"email": testEmail, "password": testPass}
	if r := e.do("POST", "/identity/v2/auth/login", body, "X-LoginRadius-ApiKey", testKey); r.status != 200 {
		t.Fatalf("the key in X-LoginRadius-ApiKey: %d %s", r.status, r.raw)
	}
	wantCode(t, "an unknown key in the header", e.do("POST", "/identity/v2/auth/login", body, "X-LoginRadius-ApiKey", "nope"), 403, 901)
	wantCode(t, "an empty key header", e.do("POST", "/identity/v2/auth/login", body, "X-LoginRadius-ApiKey", ""), 403, 908)
	// The query wins over the header: a valid header does not rescue an
	// unknown query key.
	wantCode(t, "an unknown query key with a valid header", e.do("POST", "/identity/v2/auth/login?apikey=nope", body, "X-LoginRadius-ApiKey", testKey), 403, 901)

	find := "/identity/v2/manage/account?email=" + testEmail
	if r := e.do("GET", find, nil, "X-LoginRadius-ApiKey", testKey, "X-LoginRadius-ApiSecret", testSecret); r.status != 200 {
		t.Fatalf("key and secret in headers: %d %s", r.status, r.raw)
	}
	wantCode(t, "a wrong secret header", e.do("GET", find, nil, "X-LoginRadius-ApiKey", testKey, "X-LoginRadius-ApiSecret", "wrong"), 401, 902)
	wantCode(t, "another tenant's secret header", e.do("GET", find+"&apikey="+testKey, nil, "X-LoginRadius-ApiSecret", otherSecret), 401, 902)
}

func TestBadBodiesGetCatalogueErrorsAndChangeNothing(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	login := e.loggedIn(testEmail)
	uid := login.body["Profile"].(map[string]any)["Uid"].(string)
	st := login.str("session_token")
	pinPath := "/identity/v2/auth/login/pin?apikey=" + testKey + "&session_token=" + st
	cases := []struct {
		name   string
		body   string
		status int
		code   int
	}{
		{"malformed JSON", `{"pin":`, 400, 965},
		{"not an object", `["4821"]`, 400, 965},
		{"wrong type", `{"pin":4821}`, 400, 965},
		{"duplicate key", `{"pin":"4821","PIN":"1111"}`, 400, 965},
		{"trailing data", `{"pin":"4821"}{}`, 400, 965},
		{"empty body", ``, 400, 965},
		{"10 MiB body", `{"pin":"` + strings.Repeat("1", 10<<20) + `"}`, 413, 965},
		{"missing PIN", `{}`, 403, 1234},
		{"non-digit PIN", `{"pin":"12a4"}`, 403, 1134},
		{"too short PIN", `{"pin":"12"}`, 403, 1134},
		{"too long PIN", `{"pin":"1234567"}`, 403, 1134},
	}
	for _, tc := range cases {
		r := e.do("POST", pinPath, tc.body)
		if r.status != tc.status || r.code() != tc.code {
			t.Errorf("%s: want %d/%d, got %d %s", tc.name, tc.status, tc.code, r.status, apireq.Truncate(r.raw, 200))
		}
	}
	if a := e.attempts(uid); a.Failures != 0 || a.LockType != store.LockNone {
		t.Fatalf("bad input changed the attempt count: %+v", a)
	}
	if r := e.pinLogin(st, testPIN); r.status != 200 {
		t.Fatalf("PIN login after bad input: %s", r.raw)
	}
	r := e.do("PUT", "/identity/v2/manage/account/"+uid+"?apikey="+testKey+"&apisecret="+testSecret, `{"FirstName":5}`)
	if r.status != 400 || r.code() != 1079 {
		t.Fatalf("PUT with a wrong type: want 400/1079, got %d %s", r.status, r.raw)
	}
	if r := e.do("PUT", "/identity/v2/manage/account/"+uid+"?apikey="+testKey+"&apisecret="+testSecret, `{"Email":[{"Value":"not-an-email"}]}`); r.code() != 1134 {
		t.Fatalf("invalid email: want 1134, got %s", r.raw)
	}
	got := e.do("GET", "/identity/v2/manage/account/"+uid+"?apikey="+testKey+"&apisecret="+testSecret, nil)
	if got.body["FirstName"] != "Alice" {
		t.Fatalf("a rejected update changed the profile: %s", got.raw)
	}
}

func TestWeakAndMalformedNewPINsAreRejectedWithFieldErrors(t *testing.T) {
	t.Parallel()
	tenant := &Tenant{PINMinLength: 4, PINMaxLength: 6}
	for _, pin := range []string{"1111", "1234", "4321", "98765", "12a4", "123", "1234567"} {
		e := validatePIN(tenant, "PIN", pin)
		if e == nil || e.Code != lrerr.CodeValidation || len(e.Fields) != 1 || e.Fields[0].FieldName != "PIN" {
			t.Errorf("PIN %q: want 1134 with a PIN field error, got %+v", pin, e)
		}
	}
	for _, pin := range []string{"4821", "1357", "8901", "000100"} {
		if e := validatePIN(tenant, "PIN", pin); e != nil {
			t.Errorf("PIN %q rejected: %+v", pin, e)
		}
	}
	tenant.AllowWeakPINs = true
	if e := validatePIN(tenant, "PIN", "1111"); e != nil {
		t.Errorf("weak PIN rejected although allowed: %+v", e)
	}
}

func TestManagementCreateValidatesAndRejectsDuplicates(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	e.createAccount(testEmail, "")
	path := "/identity/v2/manage/account?apikey=" + testKey + "&apisecret=" + testSecret
	dup := map[string]any{"Email": []map[string]string{{"Value": "ALICE@example.com"}}, "Password": testPass}
	if r := e.do("POST", path, dup); r.status != 403 || r.code() != 936 {
		t.Fatalf("duplicate email (other case): want 403/936, got %d %s", r.status, r.raw)
	}
	if r := e.do("POST", path, map[string]any{"Password": testPass}); r.code() != 1134 {
		t.Fatalf("no identifier: want 1134, got %s", r.raw)
	}
	if r := e.do("POST", path, map[string]any{"UserName": "x", "Password": "short"}); r.code() != 1134 {
		t.Fatalf("short password: want 1134, got %s", r.raw)
	}
	weak := map[string]any{"UserName": "y", "Password": testPass, "PINInfo": map[string]string{"PIN": "1234"}}
	if r := e.do("POST", path, weak); r.code() != 1134 {
		t.Fatalf("weak initial PIN: want 1134, got %s", r.raw)
	}
	n, err := e.store.CountAccounts(t.Context(), "demo")
	if err != nil || n != 1 {
		t.Fatalf("accounts after rejected creates = %d (%v), want 1", n, err)
	}
}

func TestManagementRoundTripKeepsUnknownFieldsAndHidesSecrets(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	path := "/identity/v2/manage/account?apikey=" + testKey + "&apisecret=" + testSecret
	r := e.do("POST", path, `{"Email":[{"Type":"Primary","Value":"dora@example.com"}],"Password":"`+testPass+`",
		"PINInfo":{"PIN":"4821"},"CustomFields":{"team":"blue"},"Company":"Acme","PhoneId":"+15551234567"}`)
	if r.status != 200 {
		t.Fatal(r.raw)
	}
	uid := r.str("Uid")
	for _, p := range []string{"/identity/v2/manage/account/" + uid, "/identity/v2/manage/account?email=DORA@example.com", "/identity/v2/manage/account?phone=%2B15551234567"} {
		g := e.do("GET", p+sep(p)+"apikey="+testKey+"&apisecret="+testSecret, nil)
		if g.status != 200 || g.str("Uid") != uid || g.str("Company") != "Acme" {
			t.Fatalf("GET %s: %d %s", p, g.status, g.raw)
		}
		if cf, _ := g.body["CustomFields"].(map[string]any); cf["team"] != "blue" {
			t.Fatalf("CustomFields lost: %s", g.raw)
		}
		pin, _ := g.body["PIN"].(map[string]any)
		if pin["LastPINChangeDate"] == nil || pin["PIN"] != nil || g.body["Password"] != nil {
			t.Fatalf("PIN metadata wrong or secret leaked: %s", g.raw)
		}
		if strings.Contains(g.raw, "argon2") || strings.Contains(g.raw, testPass) || strings.Contains(g.raw, "4821") {
			t.Fatalf("secret in profile: %s", g.raw)
		}
	}
	d := e.do("DELETE", "/identity/v2/manage/account/"+uid+"?apikey="+testKey+"&apisecret="+testSecret, nil)
	if d.status != 200 || d.body["IsDeleted"] != true {
		t.Fatalf("delete: %s", d.raw)
	}
	if g := e.do("GET", "/identity/v2/manage/account/"+uid+"?apikey="+testKey+"&apisecret="+testSecret, nil); g.code() != 938 {
		t.Fatalf("deleted account: want 938, got %s", g.raw)
	}
}

func TestManagementUpdateCannotLeaveAnAccountWithoutAnIdentifier(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	uid := e.createAccount(testEmail, testPIN)
	path := "/identity/v2/manage/account/" + uid + "?apikey=" + testKey + "&apisecret=" + testSecret
	before, att := e.snapshot(t, uid)
	for _, body := range []string{`{"Email":[]}`, `{"Email":null}`, `{"Email":[],"UserName":null,"PhoneId":""}`} {
		r := e.do("PUT", path, body)
		wantCode(t, body, r, 403, 1134)
		if f, _ := r.body["Errors"].([]any); len(f) != 1 || f[0].(map[string]any)["FieldName"] != "Email" {
			t.Errorf("%s: want one Email field error, got %s", body, r.raw)
		}
	}
	e.wantUnchanged(t, "clearing the last identifier", before, att)
	if r := e.passwordLogin(testEmail, testPass); r.status != 200 {
		t.Fatalf("login by the email after the refused updates: %d %s", r.status, r.raw)
	}
	// With another identifier in the same call, the email may go.
	if r := e.do("PUT", path, `{"Email":[],"UserName":"alice"}`); r.status != 200 {
		t.Fatalf("replacing the email by a user name: %d %s", r.status, r.raw)
	}
	if r := e.do("POST", "/identity/v2/auth/login?apikey="+testKey, map[string]string{"username": "alice", "password": testPass}); r.status != 200 {
		t.Fatalf("login by the new user name: %d %s", r.status, r.raw)
	}
}

func sep(p string) string {
	if strings.Contains(p, "?") {
		return "&"
	}
	return "?"
}
