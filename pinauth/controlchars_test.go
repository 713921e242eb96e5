package pinauth

import (
	"encoding/json"
	"errors"
	"github.com/pinauth/caddy-pinauth/pinauth/operator"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/http/httpguts"

	"github.com/pinauth/caddy-pinauth/pinauth/identityheaders"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/lrimport"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/sqlite"
)

// hostileText are values no profile field may hold: each would break an
// identity header, a mail or a log line, or is not text at all.
var hostileText = map[string]string{
	"CRLF header injection": "Gina\r\nX-Auth-Uid: victim",
	"LF":                    "Gina\nSmith",
	"NUL":                   "Gina\x00",
	"DEL":                   "Gi\x7fna",
	"tab":                   "Gina\tSmith",
	"C1 next line":          "Gina\u0085Smith",
	"C1 CSI":                "Gina\u009b31m",
	"line separator":        "Gina\u2028Smith",
	"paragraph separator":   "Gina\u2029Smith",
}

// TestControlCharactersInProfileFieldsAreRefusedOnEveryWritePath is
// finding 7 of issue 15: "FullName": "Gina\r\nX-Auth-Uid: victim" was
// stored, and every protected request of the account then failed with
// 502. Every write path refuses such a value with 1134 naming the field,
// at any depth of the profile, and writes nothing.
func TestControlCharactersInProfileFieldsAreRefusedOnEveryWritePath(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	login := e.loggedIn(testEmail)
	uid := e.uidOf(testEmail)
	before, beforeAtt := e.snapshot(t, uid)
	manage := "?apikey=" + testKey + "&apisecret=" + testSecret
	adm := e.gw.Admin()

	for what, v := range hostileText {
		for _, f := range []struct {
			field string
			body  map[string]any
		}{
			{"FullName", map[string]any{"FullName": v}},
			{"CustomFields", map[string]any{"CustomFields": map[string]any{"bio": v}}},
			{"Addresses", map[string]any{"Addresses": []any{map[string]any{"City": v}}}},
			{"Nickname", map[string]any{"Nickname": v}},
			{"UserName", map[string]any{"UserName": strings.ReplaceAll(v, " ", "")}},
			{"Roles", map[string]any{"Roles": []string{"user", v}}},
		} {
			name := what + " in " + f.field
			create := map[string]any{"Email": []map[string]string{{"Type": "Primary", "Value": "gina@example.com"}}, "Password": testPass}
			for k, x := range f.body {
				create[k] = x
			}
			r := e.do("POST", "/identity/v2/manage/account"+manage, create)
			wantFieldError(t, "create with "+name, r, f.field)
			r = e.do("PUT", "/identity/v2/manage/account/"+uid+manage, f.body)
			wantFieldError(t, "management update with "+name, r, f.field)
			if f.field != "UserName" && f.field != "Roles" {
				// The caller's own update ignores those two fields.
				r = e.do("PUT", "/identity/v2/auth/account?apikey="+testKey, f.body, "Authorization", "Bearer "+login.str("access_token"))
				wantFieldError(t, "own profile update with "+name, r, f.field)
			}

			in := operator.AccountInput{Profile: map[string]json.RawMessage{}}
			for k, x := range f.body {
				switch k {
				case "UserName":
					s := x.(string)
					in.Username = &s
				case "Roles":
					in.Roles = x.([]string)
				default:
					in.Profile[k], _ = json.Marshal(x)
				}
			}
			_, err := adm.UpdateAccount(t.Context(), "demo", uid, in)
			wantAdminFieldError(t, "Admin update (the CLI) with "+name, err, f.field)
			pw := testPass
			in.Password, in.Emails = &pw, []store.Email{{Value: "gina@example.com"}}
			_, err = adm.CreateAccount(t.Context(), "demo", in)
			wantAdminFieldError(t, "Admin create (the CLI) with "+name, err, f.field)

			rec := map[string]any{"Uid": "imported-gina", "Email": "gina@example.com"}
			for k, x := range f.body {
				rec[k] = x
			}
			line, _ := json.Marshal(rec)
			sum, err := adm.ImportLoginRadius(t.Context(), "demo", strings.NewReader(string(line)+"\n"), lrimport.Options{})
			if err != nil || sum.Failed != 1 || len(sum.Failures) != 1 || !strings.Contains(sum.Failures[0].Reason, f.field) {
				t.Errorf("import with %s: %+v, %v; want the record failed naming %s", name, sum, err, f.field)
			}
		}
	}
	// A profile key may not hold one either.
	r := e.do("PUT", "/identity/v2/manage/account/"+uid+manage, map[string]any{"Full\r\nName": "Gina"})
	if r.status != 403 || r.code() != 1134 || strings.ContainsAny(r.raw, "\r\n\x00") {
		t.Errorf("a key with CRLF: %d %q, want 1134 with the key escaped", r.status, r.raw)
	}
	// An import's LastLoginLocation is a profile field too.
	sum, err := adm.ImportLoginRadius(t.Context(), "demo",
		strings.NewReader(`{"Uid":"imported-gina","Email":"gina@example.com","LastLoginLocation":"x\r\ny"}`+"\n"), lrimport.Options{})
	if err != nil || sum.Failed != 1 {
		t.Errorf("import with a CRLF LastLoginLocation: %+v, %v", sum, err)
	}

	e.wantUnchanged(t, "the refused writes", before, beforeAtt)
	if n, err := e.store.CountAccounts(t.Context(), "demo"); n != 1 || err != nil {
		t.Errorf("%d accounts (%v) after refused creations and imports, want 1", n, err)
	}

	// Printable text, accents and emoji included, is accepted.
	r = e.do("PUT", "/identity/v2/manage/account/"+uid+manage, map[string]any{
		"FullName": "Gïna Smith-Ołeś 🙂", "CustomFields": map[string]any{"bio": "likes \"quotes\" & <tags>"},
	})
	if r.status != 200 {
		t.Errorf("a printable FullName: %d %s", r.status, r.raw)
	}
}

// TestStoredControlCharactersNeverBreakTheProtectedPath: an account that
// holds such a value from before (an older version, a write around the
// gateway) still reaches the upstream; the header whose value cannot be
// carried is left out, the others are set.
func TestStoredControlCharactersNeverBreakTheProtectedPath(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, func(c *Config) { c.HeaderPreset = identityheaders.PresetAuthelia })
	login := e.loggedIn(testEmail)
	uid := e.uidOf(testEmail)
	e.writeAround(uid, func(a *store.Account) {
		a.Profile["FullName"] = json.RawMessage(`"Gina\r\nX-Auth-Uid: victim"`)
		a.Username = "gina\x00"
		a.Roles = []string{"user", "ad\nmin"}
	})
	r := e.protected(login.str("access_token"))
	if r.status != 200 {
		t.Fatalf("protected request of an account with stored control characters: %d %s", r.status, r.raw)
	}
	got := e.upstream.calls()[len(e.upstream.calls())-1]
	for name, vals := range got {
		for _, v := range vals {
			if !httpguts.ValidHeaderFieldValue(v) || lrprofile.HasControl(v) {
				t.Errorf("the upstream got %s: %q, which no header may carry", name, v)
			}
		}
	}
	for _, name := range []string{"X-Auth-Name", "X-Auth-Username", "X-Auth-Roles", "Remote-Name", "Remote-Groups"} {
		if v, ok := got[name]; ok {
			t.Errorf("%s = %q: a stored value with a control character must be left out", name, v)
		}
	}
	if got.Get("X-Auth-Uid") != uid || got.Get("X-Auth-Email") != testEmail || got.Get("Remote-User") != testEmail {
		t.Errorf("the clean identity headers: X-Auth-Uid %q, X-Auth-Email %q, Remote-User %q", got.Get("X-Auth-Uid"), got.Get("X-Auth-Email"), got.Get("Remote-User"))
	}
}

// FuzzHasControl checks that text HasControl passes is a valid HTTP
// header value, so the write-path rule is enough for the protected path.
func FuzzHasControl(f *testing.F) {
	for _, v := range hostileText {
		f.Add(v)
	}
	f.Add("Gïna Smith 🙂")
	f.Add("\xff\xfe")
	f.Fuzz(func(t *testing.T, s string) {
		if !lrprofile.HasControl(s) && !httpguts.ValidHeaderFieldValue(s) {
			t.Errorf("HasControl(%q) = false, but it is no valid header value", s)
		}
		if !utf8.ValidString(s) {
			return // json.Marshal would have replaced the invalid bytes
		}
		if b, _ := json.Marshal(s); lrprofile.HasControl(s) != lrprofile.JSONHasControl(b) {
			t.Errorf("JSONHasControl(%s) = %v, HasControl = %v", b, lrprofile.JSONHasControl(b), lrprofile.HasControl(s))
		}
	})
}

// uidOf returns the uid of the account with email.
func (e *testEnv) uidOf(email string) string {
	e.t.Helper()
	a, found, err := e.store.AccountBy(e.t.Context(), "demo", store.IdentEmail, email)
	if err != nil || !found {
		e.t.Fatalf("account %s: found %v, %v", email, found, err)
	}
	return a.UID
}

// writeAround changes account uid straight in the store, around the
// gateway's checks, as an older version or another tool could have
// written it.
func (e *testEnv) writeAround(uid string, change func(a *store.Account)) {
	e.t.Helper()
	err := e.store.Update(e.t.Context(), func(tx store.Tx) error {
		a, _, err := tx.Account("demo", uid)
		if err != nil {
			return err
		}
		change(&a)
		_, err = tx.SaveAccount(a)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// newTestEnvAt is newTestEnv that also returns the SQLite file's path,
// for tests that read or write the file beside the store.
func newTestEnvAt(t *testing.T, mutate ...func(*Config)) (*testEnv, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pinauth.db")
	st, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newTestEnvOn(t, st, mutate...), path
}

// wantFieldError checks a 403/1134 answer naming field.
func wantFieldError(t *testing.T, what string, r response, field string) {
	t.Helper()
	if r.status != 403 || r.code() != int(lrerr.CodeValidation) || !strings.Contains(r.raw, `"FieldName":"`+field) {
		t.Errorf("%s: %d %s; want 403/1134 naming %s", what, r.status, r.raw, field)
	}
}

// wantAdminFieldError checks an Admin error of code 1134 naming field.
func wantAdminFieldError(t *testing.T, what string, err error, field string) {
	t.Helper()
	var pe *lrerr.Error
	if !errors.As(err, &pe) || pe.Code != lrerr.CodeValidation || len(pe.Fields) == 0 || !strings.HasPrefix(pe.Fields[0].FieldName, field) {
		t.Errorf("%s: %v; want 1134 naming %s", what, err, field)
	}
}
