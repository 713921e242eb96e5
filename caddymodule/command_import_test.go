package caddymodule

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/internal/lrfixture"

	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres/pgtest"
)

// runImportCLIScenario imports a generated export of 1,200 profiles twice
// through the CLI, then sets an imported account's secrets with the CLI
// and logs it in.
func runImportCLIScenario(t *testing.T, conf string) {
	export := filepath.Join(t.TempDir(), "export.ndjson")
	f, err := os.Create(export)
	if err != nil {
		t.Fatal(err)
	}
	exp, err := lrfixture.Write(f, 1200, lrfixture.NDJSON)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	type summary struct {
		Records, Created, Updated, Skipped, Failed int
		Failures                                   []struct{ Line, Record int }
	}
	run := func() summary {
		t.Helper()
		r := pinauthCLI(t, "", "import", export, "--config", conf, "--json")
		var s summary
		if err := json.Unmarshal([]byte(r.out), &s); err != nil {
			t.Fatalf("import --json: %v %q %q", err, r.out, r.errOut)
		}
		// The fixture has records that must fail, so the status says so.
		if r.status != exitRejected || !strings.Contains(r.errOut, fmt.Sprintf("%d of 1200 records failed", len(exp.Invalid))) {
			t.Fatalf("import status %d, stderr %q", r.status, r.errOut)
		}
		return s
	}
	first := run()
	if first.Records != 1200 || first.Created != exp.Valid || first.Skipped != exp.Deleted || first.Failed != len(exp.Invalid) {
		t.Fatalf("first import: %+v, want %d created", first, exp.Valid)
	}
	for i, fl := range first.Failures {
		if fl.Line != exp.Invalid[i] {
			t.Errorf("failure %d on line %d, want %d", i, fl.Line, exp.Invalid[i])
		}
	}
	second := run()
	if second.Created != 0 || second.Updated != 0 || second.Skipped != exp.Valid+exp.Deleted {
		t.Fatalf("second import: %+v", second)
	}
	r := pinauthCLI(t, "", "user", "list", "--all", "--limit", "500", "--json", "--config", conf)
	var all []cliAccount
	if err := json.Unmarshal([]byte(r.out), &all); err != nil || r.status != exitOK {
		t.Fatalf("user list --all: %d %v %q", r.status, err, r.errOut)
	}
	if len(all) != exp.Valid {
		t.Fatalf("%d accounts after importing twice, want %d", len(all), exp.Valid)
	}
	for _, a := range all {
		if !a.NeedsSecretReset || a.HasPassword || a.HasPIN {
			t.Fatalf("imported account %s: reset %v, password %v, PIN %v", a.UID, a.NeedsSecretReset, a.HasPassword, a.HasPIN)
		}
	}

	// The reset flow (issue 7) is not there yet: an operator sets the
	// secrets, after which the imported account logs in.
	email := lrfixture.Email(7)
	const password, pin = "imported password 1", "2580"
	if r := pinauthCLI(t, password+"\n", "user", "set-password", email, "--config", conf); r.status != exitOK {
		t.Fatalf("set-password: %d %q", r.status, r.errOut)
	}
	if r := pinauthCLI(t, pin+"\n", "user", "set-pin", email, "--config", conf); r.status != exitOK {
		t.Fatalf("set-pin: %d %q", r.status, r.errOut)
	}
	h := provisionFromCaddyfile(t, conf)
	status, body := apiCall(t, h, "POST", "/identity/v2/auth/login?apikey="+testAPIKey, `{"email":"`+email+`","password":"`+password+`"}`)
	if status != 200 || body["session_token"] == nil {
		t.Fatalf("login of the imported account: %d %v", status, body)
	}
	if p, _ := body["Profile"].(map[string]any); p["Uid"] != lrfixture.UID(7) || p["CustomFields"] == nil {
		t.Fatalf("the imported account's profile: %v", body["Profile"])
	}
	status, body = apiCall(t, h, "POST", "/identity/v2/auth/login/pin?apikey="+testAPIKey+"&session_token="+body["session_token"].(string), `{"pin":"`+pin+`"}`)
	if status != 200 {
		t.Fatalf("PIN login of the imported account: %d %v", status, body)
	}
	if r := pinauthCLI(t, "", "user", "show", email, "--config", conf, "--json"); !strings.Contains(r.out, `"needs_secret_reset": false`) {
		t.Fatalf("after its secrets were set the account still needs a reset: %s", r.out)
	}
}

func TestImportCommandOnSQLite(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pinauth.db")
	runImportCLIScenario(t, cliSite(t, "store sqlite "+db))
}

func TestImportCommandOnPostgres(t *testing.T) {
	runImportCLIScenario(t, cliSite(t, "store postgres "+pgtest.DSN(t)))
}

func TestImportOfSomethingThatIsNotAnExportExitsRejected(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pinauth.db")
	conf := cliSite(t, "store sqlite "+db)
	for name, content := range map[string]string{
		"users.csv":   "Uid,Email\n1,a@example.com\n",
		"broken.json": "[\n{\"Uid\":\"a1\",\"Email\":\"a1@example.com\"},\n{\"Uid\": \n",
	} {
		path := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		r := pinauthCLI(t, "", "import", path, "--config", conf)
		if r.status != exitRejected || !strings.HasPrefix(r.errOut, "caddy pinauth: import: ") {
			t.Errorf("import of %s: status %d, stderr %q; want 4 and a caddy pinauth: import: line", name, r.status, r.errOut)
		}
		if !strings.Contains(r.out, "imported ") {
			t.Errorf("import of %s printed no summary: %q", name, r.out)
		}
	}
	if r := pinauthCLI(t, "", "import", filepath.Join(t.TempDir(), "missing.json"), "--config", conf); r.status != exitUsage {
		t.Errorf("import of a missing file: status %d, stderr %q", r.status, r.errOut)
	}
}
