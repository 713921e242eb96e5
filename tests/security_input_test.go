package tests

import (
	"bufio"
	"encoding/json"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSecurityOversizedAndSlowBodiesGet413And408NeverA5xxOrAHang(t *testing.T) {
	t.Parallel()
	g := startGateway(t, func(s *siteConfig) { s.Extra = "login_page" })
	login, uid := g.loggedIn()
	token := login.str("access_token")
	big := `{"pin":"` + strings.Repeat("7", 1<<20) + `"}`
	q := "?apikey=" + apiKey + "&apisecret=" + apiSecret + "&session_token=" + login.str("session_token") + "&pinauthtoken=x"
	for _, c := range []struct{ method, path string }{
		{"POST", "/auth/login"}, {"POST", "/auth/login/pin"}, {"POST", "/auth/pin/set/pinauthtoken"},
		{"PUT", "/auth/pin/change"}, {"POST", "/auth/pin/change"}, {"PUT", "/auth/account/reauth/pin"},
		{"POST", "/manage/account"}, {"PUT", "/manage/account/" + uid}, {"POST", "/manage/account/" + uid + "/reauth/pin"},
		{"POST", "/auth/account/reauth/2fa/securityquestionanswer/verify"}, {"PUT", "/auth/account/2fa/securityquestionanswer"},
		{"PUT", "/auth/account"}, {"POST", "/auth/pin/forgot/email"}, {"PUT", "/auth/pin/reset/token"},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			g := g.in(t)
			r := g.do(c.method, apiPrefix+c.path+q, big, withToken(token)...)
			want := 965
			if c.method == "PUT" {
				want = 1079
			}
			r.wantError(t, 413, want)
		})
	}
	t.Run("a chunked body without a length", func(t *testing.T) {
		req, err := http.NewRequestWithContext(t.Context(), "POST", g.base+apiPrefix+"/auth/login?apikey="+apiKey,
			io.MultiReader(strings.NewReader(big), strings.NewReader(big)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := newResponse(resp)
		r.wantError(t, 413, 965)
	})
	t.Run("a login form", func(t *testing.T) {
		g := g.in(t)
		form := "identifier=" + strings.Repeat("a", 1<<20)
		r := g.do("POST", "/login", []byte(form), "Content-Type", "application/x-www-form-urlencoded", "Accept", "text/html")
		if r.status != 413 {
			t.Fatalf("an oversized login form: %d", r.status)
		}
	})

	t.Run("a body that stalls", func(t *testing.T) {
		t.Parallel()
		// Headers, then 10 of 1000 promised bytes, then nothing. The
		// gateway answers 408 once its 10s body timeout passes; the
		// bound here only keeps a broken build from hanging the suite.
		conn, err := net.Dial("tcp", g.hostHeader())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		start := time.Now()
		_ = conn.SetDeadline(start.Add(2 * time.Minute))
		head := "POST " + apiPrefix + "/auth/login?apikey=" + apiKey + " HTTP/1.1\r\nHost: " + g.hostHeader() +
			"\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(1000) + "\r\n\r\n" + `{"email":"`
		if _, err := io.WriteString(conn, head); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("no answer to a stalled body within 2 minutes: %v", err)
		}
		r, _ := newResponse(resp)
		r.wantError(t, 408, 965)
		if took := time.Since(start); took < 10*time.Second {
			t.Fatalf("answered after %s, before the 10s body timeout", took)
		}
	})
	for _, r := range g.seen() {
		if r.status >= 500 {
			t.Errorf("a 5xx: %d %s", r.status, r.raw)
		}
	}
}

func TestSecurityDuplicateKeysLookAlikeEmailsAndSQLishInputHaveNoEffect(t *testing.T) {
	t.Parallel()
	g := startGateway(t)
	uid := g.createAccount(pin)

	t.Run("duplicate keys, in any case or Unicode folding, are 400", func(t *testing.T) {
		g := g.in(t)
		for _, body := range []string{
			`{"email":"` + email + `","password":"wrong","password":"` + password + `"}`,
			`{"email":"` + email + `","password":"wrong","PASSWORD":"` + password + `"}`,
			`{"email":"` + email + `","password":"wrong","paſſword":"` + password + `"}`,
			`{"email":"mallory@example.com","Email":"` + email + `","password":"` + password + `"}`,
		} {
			g.do("POST", apiPrefix+"/auth/login?apikey="+apiKey, body).wantError(t, 400, 965)
		}
		for _, body := range []string{
			`{"Email":[{"Value":"m@example.com"}],"Password":"mallory pw","Roles":["user"],"roles":["admin"]}`,
			// Nested objects too: the second key must not win in one
			// reader and lose in another.
			`{"Email":[{"Value":"m@example.com","value":"` + email + `"}],"Password":"mallory pw"}`,
			`{"Email":[{"Value":"m@example.com"}],"Password":"mallory pw","PINInfo":{"PIN":"5830","pin":"2468"}}`,
		} {
			g.do("POST", apiPrefix+"/manage/account?"+g.manage(), body).wantError(t, 400, 965)
		}
		if r := g.do("GET", apiPrefix+"/manage/account?"+g.manage()+"&email=m%40example.com", nil); r.code() != 938 {
			t.Fatalf("a refused body created an account: %d %s", r.status, r.raw)
		}
	})

	t.Run("look-alike emails cannot be registered and do not log in", func(t *testing.T) {
		g := g.in(t)
		for _, lookAlike := range []string{
			strings.Replace(email, "a", "\u0430", 1), // Cyrillic а
			strings.Replace(email, "@", "\uFF20", 1), // fullwidth ＠
			strings.Replace(email, "a", "\uFF41", 1), // fullwidth ａ
			strings.Replace(email, "e", "\u0435", 1), // Cyrillic е
			strings.Replace(email, "i", "\u0130", 1), // dotted İ, which ToLower makes i
		} {
			r := g.do("POST", apiPrefix+"/manage/account?"+g.manage(), map[string]any{
				"Email": []map[string]string{{"Value": lookAlike}}, "Password": password})
			r.wantError(t, 403, 1134)
			g.do("POST", apiPrefix+"/auth/login?apikey="+apiKey, map[string]string{"email": lookAlike, "password": password}).wantError(t, 401, 966)
		}
		if r := g.do("POST", apiPrefix+"/auth/login?apikey="+apiKey, map[string]string{"email": strings.ToUpper(email), "password": password}); r.status != 200 {
			t.Fatalf("the canonical email in upper case: %d %s", r.status, r.raw)
		}
	})

	t.Run("SQL-ish input is stored and returned verbatim, and a NUL in a profile field is refused", func(t *testing.T) {
		g := g.in(t)
		const (
			sqlEmail    = "o'reilly+1=1--@example.com"
			sqlUser     = "admin'--;DROP_TABLE_accounts"
			sqlPassword = "' OR 1=1 --\"; DROP TABLE accounts; --\x00"
		)
		fields := map[string]any{
			"FirstName":    `"; DROP TABLE accounts; --`,
			"LastName":     "Smith' OR '1'='1",
			"Company":      `Robert'); DELETE FROM identifiers WHERE ('1'='1`,
			"CustomFields": map[string]any{"'; DROP TABLE sessions; --": "' UNION SELECT * FROM signing_keys --"},
		}
		body := map[string]any{
			"Email": []map[string]string{{"Type": "Primary", "Value": sqlEmail}}, "UserName": sqlUser,
			"Password": sqlPassword, "Roles": []string{"' OR 1=1 --", "x'y"},
		}
		maps.Copy(body, fields)
		// A NUL in a profile field is refused (issue 15, finding 7: no
		// control character is stored), in a value, a key or a role.
		for field, v := range map[string]any{
			"LastName":     "Smith\x00' OR '1'='1",
			"CustomFields": map[string]any{"nul\x00key": "v"},
			"Roles":        []string{"' OR 1=1 --", "x\x00y"},
		} {
			withNUL := maps.Clone(body)
			withNUL[field] = v
			g.do("POST", apiPrefix+"/manage/account?"+g.manage(), withNUL).wantError(t, 403, 1134)
		}
		r := g.do("POST", apiPrefix+"/manage/account?"+g.manage(), body)
		if r.status != 200 {
			t.Fatalf("create with SQL-ish fields: %d %s", r.status, r.raw)
		}
		sqlUID := r.str("Uid")
		got := g.account(sqlUID)
		for k, want := range fields {
			if !jsonEqual(t, got[k], want) {
				t.Errorf("%s came back as %#v, want %#v", k, got[k], want)
			}
		}
		if got["UserName"] != sqlUser || !jsonEqual(t, got["Roles"], []string{"' OR 1=1 --", "x'y"}) {
			t.Errorf("UserName %#v, Roles %#v", got["UserName"], got["Roles"])
		}
		if r := g.do("POST", apiPrefix+"/auth/login?apikey="+apiKey, map[string]string{"email": sqlEmail, "password": sqlPassword}); r.code() != 1243 {
			t.Fatalf("login with the SQL-ish email and password: %d %s", r.status, r.raw)
		}
		// Every lookup with SQL-ish text finds nothing and breaks nothing.
		for _, v := range []string{"' OR 1=1 --", "\" OR \"\"=\"", "x'; DROP TABLE accounts; --", "%00", "a\x00b"} {
			e := url.QueryEscape(v)
			g.do("GET", apiPrefix+"/manage/account?"+g.manage()+"&email="+e, nil).wantError(t, 403, 938)
			g.do("GET", apiPrefix+"/manage/account?"+g.manage()+"&username="+e, nil).wantError(t, 403, 938)
			g.do("GET", apiPrefix+"/manage/account/"+url.PathEscape(v)+"?"+g.manage(), nil).wantError(t, 403, 938)
			g.do("POST", apiPrefix+"/auth/login?apikey="+apiKey, map[string]string{"email": v, "password": v}).wantError(t, 401, 966)
			g.do("POST", apiPrefix+"/auth/login/pin?apikey="+apiKey+"&session_token="+e, map[string]string{"pin": pin}).wantError(t, 403, 1245)
			g.do("GET", apiPrefix+"/auth/access_token/validate?apikey="+apiKey+"&access_token="+e, nil).wantError(t, 403, 905)
			g.do("GET", apiPrefix+"/auth/account?apikey="+e, nil).wantError(t, 403, 901)
		}
		// The other account is untouched.
		if r := g.passwordLogin(); r.status != 200 {
			t.Fatalf("the first account after the SQL-ish input: %d %s", r.status, r.raw)
		}
		if a := g.account(uid); a["FirstName"] != "Alice" {
			t.Fatalf("the first account's FirstName: %v", a["FirstName"])
		}
	})

	t.Run("SQL-ish tokens, secrets and PINs get their catalogue error and count nothing", func(t *testing.T) {
		g := g.in(t)
		login := g.passwordLogin()
		if login.status != 200 {
			t.Fatalf("password login: %d %s", login.status, login.raw)
		}
		before := g.account(uid)
		tok := withToken(login.str("access_token"))
		key := "?apikey=" + apiKey
		for _, v := range []string{"' OR 1=1 --", "1' OR '1'='1", "0; DROP TABLE accounts", "\" OR \"\"=\"", "12\x0034"} {
			e := url.QueryEscape(v)
			// PINs: not digits, so 1134 before any hash or count.
			g.do("POST", apiPrefix+"/auth/login/pin"+key+"&session_token="+login.str("session_token"), map[string]string{"pin": v}).wantError(t, 403, 1134)
			g.do("PUT", apiPrefix+"/auth/pin/change"+key, map[string]string{"oldPIN": v, "newPIN": "5830"}, tok...).wantError(t, 403, 1134)
			g.do("PUT", apiPrefix+"/auth/pin/change"+key, map[string]string{"oldPIN": pin, "newPIN": v}, tok...).wantError(t, 403, 1134)
			g.do("PUT", apiPrefix+"/auth/account/reauth/pin"+key, map[string]string{"PIN": v}, tok...).wantError(t, 403, 1134)
			// Tokens and secrets: unknown, so refused.
			g.do("POST", apiPrefix+"/auth/pin/set/pinauthtoken"+key+"&pinauthtoken="+e, map[string]string{"pin": "5830"}).wantError(t, 403, 1239)
			g.do("GET", apiPrefix+"/auth/session_token/invalidate"+key+"&session_token="+e, nil).wantError(t, 403, 1245)
			g.do("PUT", apiPrefix+"/auth/pin/reset/token"+key, map[string]string{"ResetToken": v, "PIN": "5830"}).wantError(t, 403, 1248)
			g.do("GET", apiPrefix+"/manage/account/access_token/refresh"+key+"&apisecret="+apiSecret+"&refresh_token="+e, nil).wantError(t, 403, 1217)
			g.do("GET", apiPrefix+"/manage/account"+key+"&apisecret="+e+"&email="+url.QueryEscape(email), nil).wantError(t, 401, 902)
			if !strings.ContainsRune(v, 0) { // a NUL cannot be sent in a header
				g.do("GET", apiPrefix+"/manage/account"+key+"&email="+url.QueryEscape(email), nil, "X-LoginRadius-ApiSecret", v).wantError(t, 401, 902)
			}
			g.do("POST", apiPrefix+"/manage/account/"+uid+"/reauth/pin"+key+"&apisecret="+apiSecret,
				map[string]string{"secondfactorvalidationtoken": v}).wantError(t, 403, 1193)
		}
		// Twenty PIN checks with the first account's tokens, four times
		// the lockout: had any been counted, it would be locked now.
		after := g.account(uid)
		for _, k := range []string{"IsLoginLocked", "ModifiedDate", "NoOfLogins"} {
			if before[k] != after[k] {
				t.Errorf("SQL-ish input changed the account's %s from %v to %v", k, before[k], after[k])
			}
		}
		if r := g.pinLogin(login.str("session_token"), pin); r.status != 200 {
			t.Fatalf("the right PIN after the SQL-ish input: %d %s", r.status, r.raw)
		}
	})
}

// jsonEqual compares a decoded JSON value with a Go value by their JSON.
func jsonEqual(t *testing.T, got, want any) bool {
	t.Helper()
	a, err1 := json.Marshal(got)
	b, err2 := json.Marshal(want)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	return string(a) == string(b)
}
