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
