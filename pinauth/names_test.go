package pinauth

import (
	"database/sql"
	"encoding/json"
	"errors"
	"github.com/pinauth/caddy-pinauth/pinauth/operator"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/identityheaders"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/lrimport"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// presetUserHeader is the header each preset sends "the user" in.
var presetUserHeader = map[string]string{
	identityheaders.PresetAuthelia:    "Remote-User",
	identityheaders.PresetOAuth2Proxy: "X-Forwarded-Preferred-Username",
	identityheaders.PresetAuthentik:   "X-Authentik-Username",
}

// TestAPresetsUserHeaderNamesExactlyOneAccount is finding 2 of issue 15:
// with a header preset, an account with no UserName whose email is
// victim@example.com and another whose UserName is victim@example.com
// both reached the app as that user. Names are unique across kinds, on
// every write path, with LoginRadius's codes for a taken identifier; a
// name two accounts shared from before is sent for neither but its
// holder.
func TestAPresetsUserHeaderNamesExactlyOneAccount(t *testing.T) {
	t.Parallel()
	for preset, header := range presetUserHeader {
		t.Run(preset, func(t *testing.T) {
			t.Parallel()
			e, path := newTestEnvAt(t, func(c *Config) { c.HeaderPreset = preset })
			manage := "?apikey=" + testKey + "&apisecret=" + testSecret
			create := func(body map[string]any) response {
				body["Password"] = testPass
				body["PINInfo"] = map[string]string{"PIN": testPIN}
				return e.do("POST", "/identity/v2/manage/account"+manage, body)
			}
			email := func(v string) []map[string]string { return []map[string]string{{"Type": "Primary", "Value": v}} }
			victim := create(map[string]any{"Email": email("victim@example.com")})
			carol := create(map[string]any{"Email": email("carol@example.org"), "UserName": "carol@example.com", "PhoneId": "+15550001111"})
			dave := create(map[string]any{"Email": email("dave@example.org"), "UserName": "+15550002222"})
			for _, r := range []response{victim, carol, dave} {
				if r.status != 200 {
					t.Fatalf("create: %d %s", r.status, r.raw)
				}
			}

			// Every write path refuses a name another account has.
			wantCode(t, "create with UserName = the victim's email", create(map[string]any{"Email": email("a1@example.org"), "UserName": "Victim@Example.com"}), 403, int(lrerr.CodeUsernameTaken))
			wantCode(t, "create with UserName = carol's phone", create(map[string]any{"Email": email("a2@example.org"), "UserName": "+15550001111"}), 403, int(lrerr.CodeUsernameTaken))
			wantCode(t, "create with UserName = the victim's Uid", create(map[string]any{"Email": email("a3@example.org"), "UserName": strings.ToUpper(victim.str("Uid"))}), 403, int(lrerr.CodeUsernameTaken))
			wantCode(t, "create with Email = carol's UserName", create(map[string]any{"Email": email("carol@example.com")}), 403, int(lrerr.CodeEmailTaken))
			wantCode(t, "create with PhoneId = dave's UserName", create(map[string]any{"Email": email("a4@example.org"), "PhoneId": "+15550002222"}), 403, int(lrerr.CodePhoneTaken))
			attacker := create(map[string]any{"Email": email("attacker@example.org"), "UserName": "attacker"})
			if attacker.status != 200 {
				t.Fatalf("create the attacker: %d %s", attacker.status, attacker.raw)
			}
			auid := attacker.str("Uid")
			wantCode(t, "update the UserName to the victim's email", e.do("PUT", "/identity/v2/manage/account/"+auid+manage, map[string]any{"UserName": "victim@example.com"}), 403, int(lrerr.CodeUsernameTaken))
			adm := e.gw.Admin()
			taken := "victim@example.com"
			_, err := adm.UpdateAccount(t.Context(), "demo", auid, operator.AccountInput{Username: &taken})
			wantAdminCode(t, "Admin update (the CLI)", err, lrerr.CodeUsernameTaken)
			pw := testPass
			_, err = adm.CreateAccount(t.Context(), "demo", operator.AccountInput{Username: &taken, Password: &pw})
			wantAdminCode(t, "Admin create (the CLI)", err, lrerr.CodeUsernameTaken)
			rec, _ := json.Marshal(map[string]any{"Uid": "imported-1", "Email": "i1@example.org", "UserName": taken})
			sum, err := adm.ImportLoginRadius(t.Context(), "demo", strings.NewReader(string(rec)), lrimport.Options{})
			if err != nil || sum.Failed != 1 || len(sum.Failures) != 1 || !strings.Contains(sum.Failures[0].Reason, "username") {
				t.Errorf("import with UserName = the victim's email: %+v, %v; want the record failed", sum, err)
			}

			userOf := func(email string) string {
				t.Helper()
				r := e.passwordLogin(email, testPass)
				if r.status != 200 {
					t.Fatalf("login %s: %d %s", email, r.status, r.raw)
				}
				if p := e.protected(r.str("access_token")); p.status != 200 {
					t.Fatalf("protected request of %s: %d %s", email, p.status, p.raw)
				}
				calls := e.upstream.calls()
				return calls[len(calls)-1].Get(header)
			}
			if got := userOf("victim@example.com"); got != "victim@example.com" {
				t.Errorf("the victim's %s = %q", header, got)
			}
			if got := userOf("attacker@example.org"); got != "attacker" {
				t.Errorf("the attacker's %s = %q", header, got)
			}

			// An account that shares the name from before (written by an
			// older node, around the rule) is not sent as that user.
			shareNameFromBefore(t, path, auid, "attacker", "victim@example.com", "")
			e.gw.cache.InvalidateAccount("demo", auid)
			if got := userOf("attacker@example.org"); got == "victim@example.com" || got != "attacker@example.org" {
				t.Errorf("the account sharing the victim's email as its user name: %s = %q, want its own email", header, got)
			}
			if got := userOf("victim@example.com"); got != "victim@example.com" {
				t.Errorf("the victim's %s after the older write = %q", header, got)
			}
		})
	}
}

// wantAdminCode checks that err is an *Error with code.
func wantAdminCode(t *testing.T, what string, err error, code lrerr.Code) {
	t.Helper()
	var pe *lrerr.Error
	if !errors.As(err, &pe) || pe.Code != code {
		t.Errorf("%s: %v; want %d", what, err, code)
	}
}

// shareNameFromBefore rewrites account uid's user name from old to name
// in the SQLite file at path the way a release before names were unique
// could write it, beside the account holding name. With holder set it
// also records the conflict as the names migration does for such data.
func shareNameFromBefore(t *testing.T, path, uid, old, name, holder string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	qs := []string{
		`UPDATE accounts SET doc = json_set(doc, '$.username', ?2) WHERE uid = ?1`,
		`UPDATE identifiers SET value = ?2 WHERE kind = 'username' AND uid = ?1`,
		`DELETE FROM names WHERE name = ?3 AND uid = ?1`,
	}
	if holder != "" {
		qs = append(qs, `INSERT INTO name_conflicts (tenant, name, uid, kind) VALUES ('demo', ?2, ?1, 'username')`)
	}
	for _, q := range qs {
		if _, err := db.Exec(q, uid, name, old); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAccountsSharingANameFromBeforeAreReportedAtStart: the operator
// learns at start which accounts share a name (one may impersonate the
// other), by uid; the name itself stays out of the log.
func TestAccountsSharingANameFromBeforeAreReportedAtStart(t *testing.T) {
	t.Parallel()
	first, path := newTestEnvAt(t)
	victim := first.createAccount("victim@example.com", "")
	attacker := first.createAccount("attacker@example.org", "")
	if r := first.do("PUT", "/identity/v2/manage/account/"+attacker+"?apikey="+testKey+"&apisecret="+testSecret, map[string]any{"UserName": "attacker"}); r.status != 200 {
		t.Fatalf("set the user name: %d %s", r.status, r.raw)
	}
	shareNameFromBefore(t, path, attacker, "attacker", "victim@example.com", victim)

	core, logs := observer.New(zapcore.WarnLevel)
	newTestEnvOn(t, first.store, func(c *Config) { c.Logger = zap.New(core) })
	if n := logs.FilterMessage("accounts share names").FilterField(zap.Int("count", 1)).Len(); n != 1 {
		t.Errorf("%d summary lines with count 1, want 1: %v", n, logs.All())
	}
	lines := logs.FilterMessage("account shares a name").All()
	if len(lines) != 1 {
		t.Fatalf("%d per-account lines, want 1: %v", len(lines), logs.All())
	}
	got := lines[0].ContextMap()
	if got["uid"] != attacker || got["holder"] != victim || got["field"] != "username" {
		t.Errorf("the per-account line: %v", got)
	}
	for _, l := range logs.All() {
		for k, v := range l.ContextMap() {
			if s, _ := v.(string); strings.Contains(s, "victim@") {
				t.Errorf("the log carries the shared name in %s: %q", k, s)
			}
		}
	}
}
