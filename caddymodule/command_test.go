package caddymodule

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres/pgtest"
)

// pinauthRoot builds `caddy pinauth <args>` from Caddy's command registry,
// as the caddy binary does, wired to the given streams (in may be nil).
func pinauthRoot(t *testing.T, in io.Reader, out, errOut io.Writer, args ...string) *cobra.Command {
	t.Helper()
	cmd, ok := caddycmd.Commands()["pinauth"]
	if !ok {
		t.Fatal("the pinauth command is not registered")
	}
	root := &cobra.Command{Use: "pinauth"}
	cmd.CobraFunc(root)
	root.SetOut(out)
	root.SetErr(errOut)
	if in != nil {
		root.SetIn(in)
	}
	root.SetArgs(args)
	return root
}

// runPinauth runs `caddy pinauth <args>` in-process and returns its output.
func runPinauth(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := pinauthRoot(t, nil, &out, &out, args...).Execute()
	return out.String(), err
}

func TestPinauthKeysRotateAndListThroughTheCLIOnSQLite(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pinauth.db")
	runKeysCLIScenario(t, "store sqlite "+db, "sqlite:"+db)
}

func TestPinauthKeysRotateAndListThroughTheCLIOnPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	t.Setenv("CLI_KEYS_TEST_DSN", dsn)
	runKeysCLIScenario(t, "store postgres "+dsn, "postgres:{env.CLI_KEYS_TEST_DSN}")
}

// runKeysCLIScenario rotates the signing key with the config, lists the
// keys through --store (storeFlag) and checks the failures, on the store
// of storeLine.
func runKeysCLIScenario(t *testing.T, storeLine, storeFlag string) {
	dir := t.TempDir()
	caddyfile := filepath.Join(dir, "Caddyfile")
	t.Setenv("CLI_TEST_PEPPER", "cli-test-pepper-0123456789")
	conf := `:0 {
	route /app/* {
		pin_auth {
			tenant demo {
				api_key k
				api_secret cli-test-api-secret
			}
			` + storeLine + `
			pepper {env.CLI_TEST_PEPPER}
			hash argon2id 1 1024 1
		}
		respond ok
	}
}
`
	if err := os.WriteFile(caddyfile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}

	out, err := runPinauth(t, "keys", "rotate", "--config", caddyfile)
	if err != nil {
		t.Fatalf("keys rotate: %v\n%s", err, out)
	}
	if !strings.Contains(out, "retired ") || !strings.Contains(out, "signing with ") {
		t.Fatalf("keys rotate output:\n%s", out)
	}
	out, err = runPinauth(t, "keys", "list", "--store", storeFlag)
	if err != nil {
		t.Fatalf("keys list: %v\n%s", err, out)
	}
	if strings.Count(out, " active") != 1 || strings.Count(out, " retired ") != 1 {
		t.Fatalf("keys list after one rotation (a first key, then its successor):\n%s", out)
	}
	if strings.Contains(out, "cli-test-pepper") {
		t.Fatal("the output shows the pepper")
	}

	if _, err := runPinauth(t, "keys", "rotate", "--store", storeFlag); err == nil {
		t.Fatal("keys rotate without the config succeeded")
	}
	if _, err := runPinauth(t, "keys", "list", "--store", "mysql:x"); err == nil {
		t.Fatal("an unsupported --store was accepted")
	}
	t.Setenv("CLI_TEST_PEPPER", "")
	os.Unsetenv("CLI_TEST_PEPPER")
	if _, err := runPinauth(t, "keys", "rotate", "--config", caddyfile); err == nil || strings.Contains(err.Error(), "cli-test-pepper") {
		t.Fatalf("keys rotate with the pepper unset: %v", err)
	}
}

func TestPinAuthHandlersAreFoundInNestedRoutes(t *testing.T) {
	t.Parallel()
	tree := map[string]any{"apps": map[string]any{"http": map[string]any{"servers": map[string]any{
		"a": map[string]any{"routes": []any{map[string]any{"handle": []any{
			map[string]any{"handler": "subroute", "routes": []any{map[string]any{"handle": []any{
				map[string]any{"handler": "pin_auth", "issuer": "one"},
			}}}},
		}}}},
		"b": map[string]any{"routes": []any{map[string]any{"handle": []any{
			map[string]any{"handler": "pin_auth", "issuer": "two"},
			map[string]any{"handler": "reverse_proxy"},
		}}}},
	}}}}
	got := pinAuthHandlers(tree)
	if len(got) != 2 {
		t.Fatalf("found %d pin_auth handlers, want 2", len(got))
	}
}

// TestReadCommandsRefuseToCreateAMissingSQLiteStore points every command
// that only reads or changes existing records at a SQLite path that does
// not exist, through the config and through --store: each must fail with
// a message naming the path and leave no file behind (an empty store
// made by a typo in the data directory would answer "0 accounts"). The
// commands that add records create it.
func TestReadCommandsRefuseToCreateAMissingSQLiteStore(t *testing.T) {
	db := filepath.Join(t.TempDir(), "data", "pinauth.db")
	conf := cliSite(t, "store sqlite "+db)
	for _, c := range []struct {
		args []string
		// viaStore: the command also works on --store (it neither hashes
		// nor records events).
		viaStore bool
	}{
		{[]string{"stats"}, true},
		{[]string{"user", "list"}, true},
		{[]string{"user", "show", "alice@example.com"}, true},
		{[]string{"user", "unlock", "alice@example.com"}, false},
		{[]string{"user", "block", "alice@example.com"}, false},
		{[]string{"user", "delete", "alice@example.com"}, false},
		{[]string{"user", "set-pin", "alice@example.com"}, false},
		{[]string{"keys", "list"}, true},
		{[]string{"webhooks", "list"}, true},
		{[]string{"webhooks", "replay", "--all"}, true},
	} {
		wheres := [][]string{{"--config", conf}}
		if c.viaStore {
			wheres = append(wheres, []string{"--store", "sqlite:" + db, "--tenant", "demo"})
		}
		for _, where := range wheres {
			args := append(append([]string{}, c.args...), where...)
			t.Run(strings.Join(args[:len(c.args)+1], " "), func(t *testing.T) {
				r := pinauthCLI(t, "4821\n", args...)
				want := "caddy pinauth: store: no sqlite database at " + db + " "
				if r.status != exitFailure || !strings.HasPrefix(r.errOut, want) {
					t.Fatalf("status %d, stderr %q; want %d and %q…", r.status, r.errOut, exitFailure, want)
				}
				if _, err := os.Stat(filepath.Dir(db)); !os.IsNotExist(err) {
					t.Fatalf("the command created %s (stat: %v)", filepath.Dir(db), err)
				}
			})
		}
	}
	t.Run("user add creates the store", func(t *testing.T) {
		r := pinauthCLI(t, "a long password\n4821\n", "user", "add", "--config", conf, "--email", "alice@example.com")
		if r.status != exitOK {
			t.Fatalf("user add: %d %q", r.status, r.errOut)
		}
		if r := pinauthCLI(t, "", "stats", "--config", conf); r.status != exitOK || !strings.Contains(r.out, "accounts") {
			t.Fatalf("stats on the new store: %d %q %q", r.status, r.out, r.errOut)
		}
	})
}
