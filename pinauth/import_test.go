package pinauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/internal/lrfixture"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/lrimport"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

func TestImportLoginRadiusTwiceKeepsTheCountAndImportedAccountsLogInAfterTheirSecretsAreSet(t *testing.T) {
	t.Parallel()
	for _, f := range []struct {
		name   string
		format lrfixture.Format
	}{{"json array", lrfixture.JSONArray}, {"ndjson", lrfixture.NDJSON}} {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			env := newTestEnv(t)
			adm := env.gw.Admin()
			const n = 1200
			path := filepath.Join(t.TempDir(), "export.json")
			file, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			exp, err := lrfixture.Write(file, n, f.format)
			file.Close()
			if err != nil {
				t.Fatal(err)
			}
			content, _ := os.ReadFile(path)
			lines := strings.Split(string(content), "\n")

			var progress []int
			sum, err := adm.ImportLoginRadius(t.Context(), "demo", bytes.NewReader(content), lrimport.Options{
				BatchSize: 100, Progress: func(records int, _ int64) { progress = append(progress, records) },
			})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Records != n || sum.Created != exp.Valid || sum.Skipped != exp.Deleted || sum.Failed != len(exp.Invalid) || sum.Updated != 0 {
				t.Fatalf("first import: %+v; want %d created, %d skipped, %d failed", sum, exp.Valid, exp.Deleted, len(exp.Invalid))
			}
			if len(progress) != n/100 || progress[len(progress)-1] != n {
				t.Errorf("progress calls = %v", progress)
			}
			for i, fl := range sum.Failures {
				if fl.Record != exp.Invalid[i] {
					t.Fatalf("failure %d is record %d, want %d", i, fl.Record, exp.Invalid[i])
				}
				if fl.Line < 1 || fl.Line > len(lines) || !strings.Contains(strings.Join(lines[fl.Line-1:min(fl.Line+40, len(lines))], "\n"), lrfixture.Email(fl.Record-1)) &&
					!strings.Contains(fl.Reason, "Email") {
					t.Errorf("failure %+v: line %d does not start record %d", fl, fl.Line, fl.Record)
				}
				if f.format == lrfixture.NDJSON && fl.Line != fl.Record {
					t.Errorf("NDJSON failure of record %d reported on line %d", fl.Record, fl.Line)
				}
				if !strings.Contains(fl.Reason, "Uid") && !strings.Contains(fl.Reason, "Email") {
					t.Errorf("failure reason %q names neither Uid nor Email", fl.Reason)
				}
				if strings.Contains(fl.Reason, "not an email") {
					t.Errorf("the failure reason quotes the value: %q", fl.Reason)
				}
			}
			count := func() int {
				c, err := env.store.CountAccounts(t.Context(), "demo")
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			if got := count(); got != exp.Valid {
				t.Fatalf("accounts after the first import: %d, want %d", got, exp.Valid)
			}

			again, err := adm.ImportLoginRadius(t.Context(), "demo", bytes.NewReader(content), lrimport.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if again.Created != 0 || again.Updated != 0 || again.Skipped != exp.Valid+exp.Deleted || again.Failed != len(exp.Invalid) {
				t.Fatalf("second import of the same export: %+v", again)
			}
			if got := count(); got != exp.Valid {
				t.Fatalf("accounts after the second import: %d, want %d", got, exp.Valid)
			}

			// What was kept of profile 1.
			info, err := adm.Find(t.Context(), "demo", lrfixture.Email(1))
			if err != nil {
				t.Fatal(err)
			}
			p := info.Profile
			if p["Uid"] != lrfixture.UID(1) || p["UserName"] != "user000001" || p["PhoneId"] != "+15550000001" ||
				!info.NeedsSecretReset || info.HasPassword || info.HasPIN {
				t.Fatalf("imported profile: %+v", info)
			}
			for _, k := range []string{"CustomFields", "Company", "Provider", "FirstName"} {
				if p[k] == nil {
					t.Errorf("the imported profile lost %s", k)
				}
			}
			if rawString(p["CustomFields"]) != `{"plan":"gold","team":"t1"}` || fmt.Sprint(p["CreatedDate"]) != "2023-01-02T03:04:05.6780000Z" {
				t.Errorf("CustomFields %s, CreatedDate %v", p["CustomFields"], p["CreatedDate"])
			}
			if strings.Contains(fmt.Sprintf("%s", p), "lr-hash-") {
				t.Fatal("the profile carries the LoginRadius password hash")
			}

			// Imported accounts cannot log in until their secrets are set.
			if r := env.passwordLogin(lrfixture.Email(1), "anything at all"); r.code() != int(lrerr.CodeBadCredentials) {
				t.Fatalf("login of an imported account without a password: %d %s", r.status, r.raw)
			}
			uid := lrfixture.UID(1)
			if _, err := adm.SetPassword(t.Context(), "demo", uid, testPass); err != nil {
				t.Fatal(err)
			}
			if _, err := adm.SetPIN(t.Context(), "demo", uid, testPIN); err != nil {
				t.Fatal(err)
			}
			login := env.passwordLogin(lrfixture.Email(1), testPass)
			if login.status != 200 || login.str("session_token") == "" {
				t.Fatalf("login after the secrets were set: %d %s", login.status, login.raw)
			}
			if r := env.pinLogin(login.str("session_token"), testPIN); r.status != 200 {
				t.Fatalf("PIN login: %d %s", r.status, r.raw)
			}

			// A changed export updates what it manages and keeps the rest.
			changed := strings.Replace(string(content), `"LastName": "Last1"`, `"LastName": "Renamed"`, 1)
			changed = strings.Replace(changed, `"LastName":"Last1"`, `"LastName":"Renamed"`, 1)
			third, err := adm.ImportLoginRadius(t.Context(), "demo", strings.NewReader(changed), lrimport.Options{})
			if err != nil || third.Updated != 1 || third.Created != 0 {
				t.Fatalf("import of a changed export: %v %+v", err, third)
			}
			info, _ = adm.Find(t.Context(), "demo", uid)
			if rawString(info.Profile["LastName"]) != `"Renamed"` || !info.HasPassword || !info.HasPIN || info.NeedsSecretReset {
				t.Fatalf("after the update: %+v", info)
			}
		})
	}
}

func TestImportRejectsWhatIsNotAnExportAndStopsAtBrokenJSON(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	adm := env.gw.Admin()
	for _, c := range []struct{ name, in, wantErr string }{
		{"not JSON", "Uid,Email\n1,a@example.com\n", "must be a JSON array"},
		{"broken array", "[\n" + `{"Uid":"a1","Email":"a1@example.com"},` + "\n{\"Uid\": \n", "line 3"},
		{"data after the array", `[{"Uid":"a2"}] {"Uid":"a3"}`, "after the JSON array"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := adm.ImportLoginRadius(t.Context(), "demo", strings.NewReader(c.in), lrimport.Options{})
			if err == nil || !strings.Contains(err.Error(), c.wantErr) || !errors.Is(err, lrimport.ErrNotAnExport) {
				t.Fatalf("err = %v, want an ErrNotAnExport saying %q", err, c.wantErr)
			}
		})
	}
	t.Run("a broken NDJSON line fails only that record", func(t *testing.T) {
		in := `{"Uid":"b1","Email":"b1@example.com"}` + "\n{not json\n\n" + `{"Uid":"b2","Email":[{"Type":"Primary","Value":"b2@example.com"}]}` + "\n"
		sum, err := adm.ImportLoginRadius(t.Context(), "demo", strings.NewReader(in), lrimport.Options{})
		if err != nil || sum.Created != 2 || sum.Failed != 1 || sum.Failures[0].Line != 2 {
			t.Fatalf("%v %+v", err, sum)
		}
	})
	t.Run("an email another account has fails the record", func(t *testing.T) {
		in := `{"Uid":"c1","Email":"b1@example.com"}`
		sum, err := adm.ImportLoginRadius(t.Context(), "demo", strings.NewReader(in), lrimport.Options{})
		if err != nil || sum.Failed != 1 || !strings.Contains(sum.Failures[0].Reason, "email") {
			t.Fatalf("%v %+v", err, sum)
		}
	})
	t.Run("a cancelled import stops", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		var buf bytes.Buffer
		if _, err := lrfixture.Write(&buf, 500, lrfixture.NDJSON); err != nil {
			t.Fatal(err)
		}
		sum, err := adm.ImportLoginRadius(ctx, "other", &buf, lrimport.Options{BatchSize: 50})
		if err == nil || sum.Records == 500 {
			t.Fatalf("a cancelled import: %v %+v", err, sum)
		}
		if n, _ := env.store.CountAccounts(t.Context(), "other"); n != 0 {
			t.Fatalf("a cancelled import wrote %d accounts", n)
		}
	})
	_ = store.Account{}
}

// rawString renders a profile value that is stored JSON.
func rawString(v any) string {
	if r, ok := v.(json.RawMessage); ok {
		return string(r)
	}
	return fmt.Sprint(v)
}
