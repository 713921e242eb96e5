package tests

import (
	"strings"
	"testing"
)

func TestBadInputOverRealHTTPGetsCatalogueErrorsAndChangesNothing(t *testing.T) {
	t.Parallel()
	g := startGateway(t)
	login, uid := g.loggedIn()
	sessionToken := login.str("session_token")
	pinPath := apiPrefix + "/auth/login/pin?apikey=" + apiKey + "&session_token=" + sessionToken
	before := g.account(uid)

	t.Run("a 10 MiB body is 413 with a LoginRadius body", func(t *testing.T) {
		g := g.in(t)
		body := `{"pin":"` + strings.Repeat("7", 10<<20) + `"}`
		r := g.do("POST", pinPath, body)
		if r.status != 413 || r.code() != 965 || r.str("Message") == "" {
			t.Fatalf("want 413 with ErrorCode 965, got %d %.300s", r.status, r.raw)
		}
	})
	cases := []struct {
		name, body   string
		status, code int
	}{
		{"malformed JSON is 400/965", `{"pin":`, 400, 965},
		{"a number for the PIN is 400/965", `{"pin":7890}`, 400, 965},
		{"an array body is 400/965", `["7890"]`, 400, 965},
		{"an empty body is 400/965", ``, 400, 965},
		{"a non-digit PIN is 403/1134", `{"pin":"78a0"}`, 403, 1134},
		{"fullwidth digits are 403/1134", `{"pin":"７８９０"}`, 403, 1134},
		{"Arabic-Indic digits are 403/1134", `{"pin":"٧٨٩٠"}`, 403, 1134},
		{"a padded PIN is 403/1134", `{"pin":" 7890"}`, 403, 1134},
		{"a too short PIN is 403/1134", `{"pin":"789"}`, 403, 1134},
		{"a missing PIN is 403/1234", `{"other":"7890"}`, 403, 1234},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := g.in(t)
			g.do("POST", pinPath, c.body).wantError(t, c.status, c.code)
		})
	}

	after := g.account(uid)
	for _, k := range []string{"NoOfLogins", "ModifiedDate", "IsLoginLocked", "LastLoginDate"} {
		if before[k] != after[k] {
			t.Errorf("bad input changed the profile's %s from %v to %v", k, before[k], after[k])
		}
	}
	// None of the bad requests counted as a failed PIN: four real wrong
	// PINs, one short of the default lockout of five, still leave the
	// account open. Had any bad request been counted, the fourth would
	// have locked it and the right PIN would get 1198.
	for range 4 {
		g.pinLogin(sessionToken, wrongPIN).wantError(t, 401, 1236)
	}
	if r := g.pinLogin(sessionToken, pin); r.status != 200 {
		t.Fatalf("the right PIN after the bad input and four wrong PINs: %d %s", r.status, r.raw)
	}

	t.Run("unknown query parameters are ignored", func(t *testing.T) {
		g := g.in(t)
		r := g.do("POST", pinPath+seedQuery+"&utm_source=mail&Unknown_Param=1&x=", map[string]string{"pin": pin})
		if r.status != 200 {
			t.Fatalf("want 200, got %d %s", r.status, r.raw)
		}
		assertLoginResponse(t, r, uid)
	})
	for _, r := range g.seen() {
		if r.status >= 500 {
			t.Errorf("a client mistake got %d: %s", r.status, r.raw)
		}
	}
}

// account reads an account's profile through the management API.
func (g *gateway) account(uid string) map[string]any {
	g.t.Helper()
	r := g.do("GET", apiPrefix+"/manage/account/"+uid+"?"+g.manage(), nil)
	if r.status != 200 || r.str("Uid") != uid {
		g.t.Fatalf("get account: %d %s", r.status, r.raw)
	}
	return r.body
}
