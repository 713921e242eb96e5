package pinauth

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/tokens"
)

// FuzzAccessTokenVerification sends arbitrary bearer tokens, and arbitrary
// edits of a genuine one, to the protected path. The only token that may
// pass is the genuine token itself, byte for byte: an edit anywhere (the
// header, a claim, the signature, even bits base64 does not use) must be
// refused with 401 and 905 or 906, and nothing may panic. One spelling per
// token also keeps the verified-token cache, keyed by the raw string, from
// holding copies of one token. The genuine token carries the gateway MAC
// (issue 22) and is verified by it: the MAC covers kid and payload, not
// the signature, and edits of either are refused all the same. The same
// holds for the access-token handle of a tenant with token_format uuid (a
// case, a dash, a digit changed), which is edited alike.
func FuzzAccessTokenVerification(f *testing.F) {
	env := newTestEnv(f, func(c *Config) { c.Tenants[1].TokenFormat = config.TokenFormatUUID })
	genuine := env.loggedIn(testEmail).str("access_token")
	handle := env.otherTenantHandle()
	for _, tok := range []string{genuine, handle} {
		if r := env.protected(tok); r.status != http.StatusOK {
			f.Fatalf("the genuine token is refused: %d %s", r.status, r.raw)
		}
	}
	// Offsets from 32768 up count back from the token's end, so seeds can
	// name its last characters whatever its length.
	for _, s := range []struct {
		free  string
		off   uint16
		cut   uint8
		patch string
	}{
		{"", 0, 0, ""},
		// The last character carries 2 bits of the signature and 4 unused
		// ones: one of B, R, h and x differs from it only in those.
		{"", 32769, 1, "B"}, {"", 32769, 1, "R"}, {"", 32769, 1, "h"}, {"", 32769, 1, "x"},
		{"", 32770, 0, "\n"}, {"", 32769, 0, "="}, {"", 32768, 0, "=="}, {"", 0, 0, " "},
		{"", 10, 1, "x"}, {"", 0, 36, "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0"},
		{"eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4In0.", 0, 0, ""},
		// Inside the header's MAC (its base64 starts about 50 characters
		// in), and the signature's first characters (R).
		{"", 60, 1, "A"}, {"", 100, 4, "AAAA"}, {"", 32854, 1, "A"}, {"", 32830, 1, "B"},
		{"a.b.c", 0, 0, ""}, {"....", 0, 0, ""}, {"\x00", 0, 0, ""}, {"Bearer x", 0, 0, ""},
	} {
		f.Add(s.free, s.off, s.cut, s.patch)
	}
	f.Fuzz(func(t *testing.T, free string, off uint16, cut uint8, patch string) {
		edit := func(genuine string) string {
			o := int(off) % (len(genuine) + 1)
			if off >= 32768 {
				o = max(0, len(genuine)-int(off-32768))
			}
			end := min(len(genuine), o+int(cut))
			return genuine[:o] + patch + genuine[end:]
		}
		for _, tok := range []string{free, edit(genuine), edit(handle)} {
			isGenuine := strings.TrimSpace(tok) == genuine || strings.TrimSpace(tok) == handle
			req := &http.Request{Method: "GET", URL: &url.URL{Path: "/app/data"}, Header: http.Header{},
				RemoteAddr: "192.0.2.1:1234", Host: "gw.test"}
			req = req.WithContext(t.Context())
			req.Header.Set("Authorization", "Bearer "+tok)
			w := httptest.NewRecorder()
			id, ok := env.gw.Handle(w, req)
			if ok {
				// Space around the credential belongs to the header's
				// syntax, not to the token.
				if !isGenuine {
					t.Fatalf("the token %q was accepted; only the genuine %q or %q may be", tok, genuine, handle)
				}
				if id == nil || id.UID == "" {
					t.Fatal("the genuine token passed without an identity")
				}
				continue
			}
			if isGenuine {
				t.Fatalf("the genuine token was refused: %d %s", w.Code, w.Body)
			}
			var e struct{ ErrorCode int }
			_ = json.Unmarshal(w.Body.Bytes(), &e)
			switch {
			case w.Code != http.StatusUnauthorized:
				t.Fatalf("%q: status %d, want 401: %s", tok, w.Code, w.Body)
			case e.ErrorCode != int(lrerr.CodeAccessTokenInvalid) && e.ErrorCode != int(lrerr.CodeAccessTokenExpired) && e.ErrorCode != int(lrerr.CodeAccessTokenMissing):
				t.Fatalf("%q: ErrorCode %d: %s", tok, e.ErrorCode, w.Body)
			}
		}
	})
}

// otherTenantHandle logs an account of the "other" tenant in (the fuzz
// target makes that tenant hand out access-token handles) and returns its
// access token.
func (e *testEnv) otherTenantHandle() string {
	e.t.Helper()
	body := map[string]any{"Email": []map[string]string{{"Type": "Primary", "Value": testEmail}},
		"Password": testPass, "PINInfo": map[string]string{"PIN": testPIN}}
	if r := e.do("POST", "/identity/v2/manage/account?apikey="+otherKey+"&apisecret="+otherSecret, body); r.status != 200 {
		e.t.Fatalf("create an account of the other tenant: %d %s", r.status, r.raw)
	}
	r := e.do("POST", "/identity/v2/auth/login?apikey="+otherKey, map[string]string{"email": testEmail, "password": testPass})
	if r.status != 200 || !tokens.IsHandle(r.str("access_token")) {
		e.t.Fatalf("login of the other tenant: want a handle, got %d %s", r.status, r.raw)
	}
	return r.str("access_token")
}
