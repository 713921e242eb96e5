package caddymodule

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres/pgtest"
)

// runUserCLIScenario is the user-command scenario, on whatever store the
// Caddyfile names (storeFlag names the same store for --store): add →
// login; lock → unlock → login; block; set-pin; delete; and the exit
// statuses on the way.
func runUserCLIScenario(t *testing.T, conf, storeFlag string) {
	const email, password, pin = "cli@example.com", "cli password 123", "4821"
	r := pinauthCLI(t, password+"\n"+pin+"\n", "user", "add", "--config", conf,
		"--email", email, "--username", "cli", "--first-name", "Cli", "--role", "user,ops")
	if r.status != exitOK || !strings.HasPrefix(r.out, "created ") {
		t.Fatalf("user add: %d %q %q", r.status, r.out, r.errOut)
	}
	uid := strings.TrimSpace(strings.TrimPrefix(r.out, "created "))
	if strings.Contains(r.out+r.errOut, password) {
		t.Fatal("user add echoed the password")
	}

	h := provisionFromCaddyfile(t, conf)
	login := func() (int, map[string]any) {
		return apiCall(t, h, "POST", "/identity/v2/auth/login?apikey="+testAPIKey,
			`{"email":"`+email+`","password":"`+password+`"}`)
	}
	status, body := login()
	if status != 200 || body["session_token"] == nil {
		t.Fatalf("password login of the CLI-made account: %d %v", status, body)
	}
	status, body = apiCall(t, h, "POST", "/identity/v2/auth/login/pin?apikey="+testAPIKey+"&session_token="+body["session_token"].(string), `{"pin":"`+pin+`"}`)
	if status != 200 || body["access_token"] == nil {
		t.Fatalf("PIN login: %d %v", status, body)
	}

	t.Run("show and list", func(t *testing.T) {
		r := pinauthCLI(t, "", "user", "show", email, "--config", conf, "--json")
		var a cliAccount
		if err := json.Unmarshal([]byte(r.out), &a); r.status != exitOK || err != nil {
			t.Fatalf("user show --json: %d %v %q %q", r.status, err, r.out, r.errOut)
		}
		if a.UID != uid || a.Email != email || !a.HasPIN || !a.HasPassword || strings.Join(a.Roles, ",") != "user,ops" || a.Profile["FirstName"] == nil {
			t.Fatalf("user show: %+v", a)
		}
		r = pinauthCLI(t, "", "user", "list", "--config", conf)
		if r.status != exitOK || !strings.Contains(r.out, uid) || !strings.Contains(r.out, email) {
			t.Fatalf("user list: %d %q %q", r.status, r.out, r.errOut)
		}
		if strings.Contains(r.out, "$argon2id") {
			t.Fatal("user list shows a hash")
		}
		// The read-only commands work on the store named directly.
		r = pinauthCLI(t, "", "user", "list", "--store", storeFlag, "--tenant", "demo", "--json")
		var listed []cliAccount
		if err := json.Unmarshal([]byte(r.out), &listed); r.status != exitOK || err != nil || len(listed) != 1 || listed[0].UID != uid {
			t.Fatalf("user list --store %s: %d %v %q %q", storeFlag, r.status, err, r.out, r.errOut)
		}
		if r := pinauthCLI(t, "", "stats", "--store", storeFlag); r.status != exitOK || !regexp.MustCompile(`(?m)^accounts +1$`).MatchString(r.out) {
			t.Fatalf("stats --store %s: %d %q %q", storeFlag, r.status, r.out, r.errOut)
		}
		// "Not found" names where it looked, so a wrong config or data
		// directory shows at once.
		spec, err := storeFlagSpec(storeFlag)
		if err != nil {
			t.Fatal(err)
		}
		where := spec.describe()
		if !strings.HasPrefix(where, "sqlite /") && !strings.HasPrefix(where, "postgres pinauth_test_") {
			t.Fatalf("the store is described as %q", where)
		}
		for _, args := range [][]string{
			{"user", "show", "nobody@example.com", "--config", conf},
			{"user", "unlock", "nobody@example.com", "--config", conf},
			{"user", "show", "nobody@example.com", "--store", storeFlag, "--tenant", "demo"},
		} {
			if r := pinauthCLI(t, "", args...); r.status != exitNotFound ||
				r.errOut != "caddy pinauth: account not found in tenant demo of store "+where+"\n" {
				t.Fatalf("%s of an unknown account: %d %q", args[1], r.status, r.errOut)
			}
		}
	})

	t.Run("unlock clears a lock", func(t *testing.T) {
		for range 5 {
			apiCall(t, h, "POST", "/identity/v2/auth/login?apikey="+testAPIKey, `{"email":"`+email+`","password":"wrong password"}`)
		}
		if status, body := login(); status == 200 || body["ErrorCode"] != float64(1198) {
			t.Fatalf("login after five failures: %d %v", status, body)
		}
		if r := pinauthCLI(t, "", "user", "show", uid, "--config", conf, "--json"); !strings.Contains(r.out, `"lock_type": "Suspend"`) {
			t.Fatalf("show of the locked account: %q", r.out)
		}
		if r := pinauthCLI(t, "", "user", "unlock", uid, "--config", conf); r.status != exitOK || r.out != "unlocked "+uid+"\n" {
			t.Fatalf("user unlock: %d %q %q", r.status, r.out, r.errOut)
		}
		if status, body := login(); status != 200 {
			t.Fatalf("login after unlock: %d %v", status, body)
		}
	})

	t.Run("block, unlock, set-pin, and the rejected PIN", func(t *testing.T) {
		if r := pinauthCLI(t, "", "user", "block", email, "--config", conf); r.status != exitOK {
			t.Fatalf("user block: %d %q", r.status, r.errOut)
		}
		if status, body := login(); status == 200 || body["ErrorCode"] != float64(991) {
			t.Fatalf("login of the blocked account: %d %v", status, body)
		}
		if r := pinauthCLI(t, "", "user", "unlock", email, "--config", conf); r.status != exitOK {
			t.Fatalf("user unlock of a blocked account: %d %q", r.status, r.errOut)
		}
		r := pinauthCLI(t, "1111\n", "user", "set-pin", email, "--config", conf)
		if r.status != exitRejected || !strings.Contains(r.errOut, "PINInfo.PIN") || strings.Contains(r.errOut, "1111") {
			t.Fatalf("set-pin with a weak PIN: %d %q", r.status, r.errOut)
		}
		if r := pinauthCLI(t, "5820\n", "user", "set-pin", email, "--config", conf); r.status != exitOK {
			t.Fatalf("set-pin: %d %q", r.status, r.errOut)
		}
		status, body := login()
		if status != 200 {
			t.Fatalf("login after unblocking: %d %v", status, body)
		}
		if status, body := apiCall(t, h, "POST", "/identity/v2/auth/login/pin?apikey="+testAPIKey+"&session_token="+body["session_token"].(string), `{"pin":"5820"}`); status != 200 {
			t.Fatalf("PIN login with the PIN set by the CLI: %d %v", status, body)
		}
	})

	t.Run("usage errors", func(t *testing.T) {
		for _, args := range [][]string{
			{"user", "frobnicate"},
			{"user", "show"},
			{"user", "show", "a", "b", "--config", conf},
			{"user", "list", "--no-such-flag"},
			{"user", "list", "--store", "sqlite:" + filepath.Join(t.TempDir(), "x.db")},
			{"user", "add", "--config", conf},
			{"user", "add", "--config", conf, "--email", "x@example.com", "--tenant", "nope"},
		} {
			if r := pinauthCLI(t, "", args...); r.status != exitUsage || !strings.HasPrefix(r.errOut, "caddy pinauth: ") && !strings.Contains(r.errOut, "caddy pinauth: ") {
				t.Errorf("%v: status %d, stderr %q; want 2 and a caddy pinauth: line", args, r.status, r.errOut)
			}
		}
		if r := pinauthCLI(t, "short\n", "user", "add", "--config", conf, "--email", "y@example.com"); r.status != exitRejected {
			t.Errorf("a short password: %d %q", r.status, r.errOut)
		}
		if r := pinauthCLI(t, password+"\n\n", "user", "add", "--config", conf, "--email", email); r.status != exitRejected {
			t.Errorf("a taken email: %d %q", r.status, r.errOut)
		}
		// Names are unique across kinds (issue 15, finding 2): another
		// account's email is no user name.
		if r := pinauthCLI(t, password+"\n\n", "user", "add", "--config", conf, "--email", "z@example.com", "--username", strings.ToUpper(email)); r.status != exitRejected || !strings.Contains(r.errOut, "(code 1017)") {
			t.Errorf("a user name equal to another account's email: %d %q", r.status, r.errOut)
		}
	})

	t.Run("conflicts", func(t *testing.T) {
		r := pinauthCLI(t, "", "user", "conflicts", "--config", conf)
		if r.status != exitOK || r.out != "no account shares a name with another\n" {
			t.Errorf("user conflicts: %d %q %q", r.status, r.out, r.errOut)
		}
		r = pinauthCLI(t, "", "user", "conflicts", "--store", storeFlag, "--tenant", "demo", "--json")
		if r.status != exitOK || strings.TrimSpace(r.out) != "[]" {
			t.Errorf("user conflicts --json: %d %q %q", r.status, r.out, r.errOut)
		}
	})

	t.Run("delete", func(t *testing.T) {
		if r := pinauthCLI(t, "", "user", "delete", uid, "--config", conf); r.status != exitOK {
			t.Fatalf("user delete: %d %q", r.status, r.errOut)
		}
		if status, _ := login(); status == 200 {
			t.Fatal("login of a deleted account")
		}
		if r := pinauthCLI(t, "", "user", "delete", uid, "--config", conf); r.status != exitNotFound {
			t.Fatalf("delete of a deleted account: %d %q", r.status, r.errOut)
		}
	})
}

func TestUserCommandsOnSQLite(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pinauth.db")
	runUserCLIScenario(t, cliSite(t, "store sqlite "+db), "sqlite:"+db)
}

func TestUserCommandsOnPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	// --store takes a placeholder, which keeps the DSN out of `ps`.
	t.Setenv("CLI_USER_TEST_DSN", dsn)
	runUserCLIScenario(t, cliSite(t, "store postgres "+dsn), "postgres:{env.CLI_USER_TEST_DSN}")
}

func TestStoreFlagNamesSQLiteOrPostgresAndNeverEchoesItsValue(t *testing.T) {
	for _, c := range []struct {
		flag string
		ok   bool
	}{
		{"sqlite:/var/lib/pinauth.db", true},
		{"postgres:postgres://u:hunter2@db/pinauth", true},
		{"mysql:u:hunter2@db", false},
		{"postgres", false},
		{"sqlite:", false},
		{"postgres:{env.CLI_STORE_FLAG_UNSET_hunter2}", false},
	} {
		spec, err := storeFlagSpec(c.flag)
		if c.ok != (err == nil) {
			t.Errorf("%q: %v", c.flag, err)
			continue
		}
		if err != nil {
			if status, msg := cliExitStatus(err); status != exitUsage || strings.Contains(msg, "hunter2") {
				t.Errorf("%q: status %d, message %q", c.flag, status, msg)
			}
			continue
		}
		if spec.path+spec.dsn != c.flag[strings.IndexByte(c.flag, ':')+1:] {
			t.Errorf("%q: spec %+v", c.flag, spec)
		}
	}
}

// rewrite replaces old with new in the file at path, failing when old is
// not there.
func rewrite(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s has no %q", path, old)
	}
	if err := os.WriteFile(path, bytes.Replace(b, []byte(old), []byte(new), 1), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestUserConflictsListsAccountsSharingANameFromBefore: accounts that
// shared a name before names were unique across kinds (here written into
// the file the way the names migration records them) are listed with the
// account that holds the name.
func TestUserConflictsListsAccountsSharingANameFromBefore(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pinauth.db")
	conf := cliSite(t, "store sqlite "+db)
	const password = "cli password 123"
	uidOf := func(r cliResult) string {
		t.Helper()
		if r.status != exitOK {
			t.Fatalf("user add: %d %q", r.status, r.errOut)
		}
		return strings.TrimSpace(strings.TrimPrefix(r.out, "created "))
	}
	victim := uidOf(pinauthCLI(t, password+"\n\n", "user", "add", "--config", conf, "--email", "victim@example.com"))
	other := uidOf(pinauthCLI(t, password+"\n\n", "user", "add", "--config", conf, "--email", "other@example.org", "--username", "other"))
	sqldb, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE accounts SET doc = json_set(doc, '$.username', 'victim@example.com') WHERE uid = ?1`,
		`UPDATE identifiers SET value = 'victim@example.com' WHERE kind = 'username' AND uid = ?1`,
		`DELETE FROM names WHERE name = 'other' AND uid = ?1`,
		`INSERT INTO name_conflicts (tenant, name, uid, kind) VALUES ('demo', 'victim@example.com', ?1, 'username')`,
	} {
		if _, err := sqldb.Exec(q, other); err != nil {
			t.Fatal(err)
		}
	}
	sqldb.Close()

	r := pinauthCLI(t, "", "user", "conflicts", "--config", conf)
	lines := strings.Split(strings.TrimSpace(r.out), "\n")
	if r.status != exitOK || len(lines) != 2 || !strings.HasPrefix(lines[0], "NAME") ||
		strings.Join(strings.Fields(lines[1]), " ") != "victim@example.com "+other+" username "+victim {
		t.Errorf("user conflicts: %d %q %q", r.status, r.out, r.errOut)
	}
	r = pinauthCLI(t, "", "user", "conflicts", "--store", "sqlite:"+db, "--tenant", "demo", "--json")
	var got []map[string]string
	if err := json.Unmarshal([]byte(r.out), &got); err != nil || len(got) != 1 || got[0]["uid"] != other || got[0]["holder"] != victim || got[0]["name"] != "victim@example.com" {
		t.Errorf("user conflicts --json: %d %q (%v)", r.status, r.out, err)
	}
}
