package tests

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/internal/lrfixture"
)

// cliRun runs the built `caddy pinauth <args>` with stdin against g's
// Caddyfile (its demo tenant) and returns stdout, stderr and the exit
// status.
func (g *gateway) cliRun(stdin string, args ...string) (string, string, int) {
	g.t.Helper()
	dir := g.proc.Dir
	cmd := caddyCommand(dir, append([]string{"pinauth"}, append(args, "--config", filepath.Join(dir, "Caddyfile"), "--adapter", "caddyfile", "--tenant", tenantName)...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	status := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		status = exit.ExitCode()
	} else if err != nil {
		g.t.Fatalf("running the CLI: %v", err)
	}
	return out.String(), errOut.String(), status
}

func TestCLIBinaryAddsAnAccountThatLogsInAndExitsWithDocumentedStatuses(t *testing.T) {
	t.Parallel()
	g := startGateway(t)
	const cliEmail, cliPassword, cliPIN = "bob@example.com", "bob's long password", "2468"

	out, errOut, status := g.cliRun(cliPassword+"\n"+cliPIN+"\n", "user", "add", "--email", cliEmail, "--first-name", "Bob")
	if status != 0 || !strings.HasPrefix(out, "created ") {
		t.Fatalf("user add: status %d, %q %q", status, out, errOut)
	}
	if strings.Contains(out+errOut, cliPassword) || strings.Contains(out+errOut, cliPIN) {
		t.Fatal("the CLI printed a secret")
	}
	// Success writes nothing to standard error: Caddy's log lines (the
	// config file used, the adapter's) appear only with --verbose.
	if errOut != "" {
		t.Fatalf("user add succeeded with this on standard error:\n%s", errOut)
	}
	for _, verbose := range []bool{false, true} {
		args := []string{"stats"}
		if verbose {
			args = append(args, "--verbose")
		}
		out, errOut, status := g.cliRun("", args...)
		if status != 0 || !strings.Contains(out, "accounts") {
			t.Fatalf("%v: status %d\n%s\n%s", args, status, out, errOut)
		}
		logged := strings.Contains(errOut, `"msg":"using config from file"`) && strings.Contains(errOut, `"msg":"store opened"`)
		if verbose != logged || !verbose && errOut != "" {
			t.Fatalf("%v: standard error:\n%s", args, errOut)
		}
	}
	// The running Caddy logs the account in.
	r := g.do("POST", apiPrefix+"/auth/login?apikey="+apiKey, map[string]string{"email": cliEmail, "password": cliPassword})
	if r.status != 200 || r.str("session_token") == "" {
		t.Fatalf("login of the CLI's account: %d %s", r.status, r.raw)
	}
	if p := g.pinLogin(r.str("session_token"), cliPIN); p.status != 200 {
		t.Fatalf("PIN login: %d %s", p.status, p.raw)
	}

	for _, c := range []struct {
		name   string
		stdin  string
		args   []string
		status int
		stderr string
	}{
		{"unknown account", "", []string{"user", "show", "nobody@example.com"}, 3, "caddy pinauth: account not found in tenant " + tenantName + " of store sqlite /"},
		{"unknown subcommand", "", []string{"user", "frobnicate"}, 2, "caddy pinauth: unknown command"},
		{"unknown flag", "", []string{"user", "list", "--frobnicate"}, 2, "caddy pinauth: unknown flag"},
		{"weak PIN", "1111\n", []string{"user", "set-pin", cliEmail}, 4, "caddy pinauth: rejected: PINInfo.PIN"},
		{"no password on stdin", "", []string{"user", "add", "--email", "c@example.com"}, 2, "caddy pinauth: no password on standard input"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, errOut, status := g.cliRun(c.stdin, c.args...)
			if status != c.status || !strings.HasPrefix(errOut, c.stderr) && !strings.Contains(errOut, "\n"+c.stderr) {
				t.Fatalf("status %d, stderr %q; want %d and %q", status, errOut, c.status, c.stderr)
			}
		})
	}

	t.Run("import with failing records exits 4 and reports them", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "export.json")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		exp, err := lrfixture.Write(f, 300, lrfixture.JSONArray)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		out, errOut, status := g.cliRun("", "import", path)
		if status != 4 || !strings.Contains(out, "imported 300 records: 299 created") || len(exp.Invalid) != 1 ||
			!strings.Contains(out, "failed: line ") || !strings.Contains(errOut, "1 of 300 records failed") {
			t.Fatalf("import: status %d\n%s\n%s", status, out, errOut)
		}
	})
}

func TestCaddyHelpListsThePinauthCommandAndItsSubcommands(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(caddyBin, "help").CombinedOutput()
	if err != nil {
		t.Fatalf("caddy help: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`(?m)^\s+pinauth\s+Administers caddy-pinauth`).Match(out) {
		t.Fatalf("caddy help does not list pinauth:\n%s", out)
	}
	out, err = exec.Command(caddyBin, "help", "pinauth").CombinedOutput()
	if err != nil {
		t.Fatalf("caddy help pinauth: %v\n%s", err, out)
	}
	for _, sub := range []string{"user add", "user list", "user show", "user unlock", "user block", "user delete",
		"user set-pin", "import", "keys list", "keys rotate", "webhooks list", "webhooks replay", "stats", "Exit status"} {
		if !strings.Contains(string(out), sub) {
			t.Errorf("caddy help pinauth does not mention %q", sub)
		}
	}
}
