package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// requireTool returns the path of a command the test needs. Without it
// the test is skipped on a developer's machine and fails in CI, where
// .ci/run installs it (install names the Debian package).
func requireTool(t *testing.T, name, install string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing: .ci/run must install it (apt-get install -y %s)", name, install)
		}
		t.Skipf("%s is missing: apt-get install -y %s to run this test", name, install)
	}
	return path
}

const systemdUnit = "contrib/systemd/caddy-pinauth.service"

// TestSystemdUnitVerifiesCleanlyAndIsHardened runs `systemd-analyze
// verify` on the shipped unit, its binary path pointed at the Caddy this
// suite built, and fails on any complaint (verify exits 0 on an unknown or
// misspelt directive, so its output must be empty too). It also pins the
// hardening production.md promises, so a later edit cannot drop it.
func TestSystemdUnitVerifiesCleanlyAndIsHardened(t *testing.T) {
	t.Parallel()
	analyze := requireTool(t, "systemd-analyze", "systemd")
	unit := readRepoFile(t, systemdUnit)
	const bin = "/usr/local/bin/caddy"
	if n := len(regexp.MustCompile(`(?m)^Exec(Start|Reload)=`+bin+` `).FindAllString(unit, -1)); n != 2 {
		t.Fatalf("ExecStart and ExecReload run %s %d times, want twice", bin, n)
	}
	path := filepath.Join(t.TempDir(), "caddy-pinauth.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(unit, bin, caddyBin)), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(analyze, "verify", path)
	cmd.Dir = filepath.Dir(path)
	out, err := cmd.CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}

	for _, want := range []string{
		`(?m)^User=caddy-pinauth$`,
		`(?m)^ProtectSystem=strict$`,
		`(?m)^ProtectHome=yes$`,
		`(?m)^NoNewPrivileges=yes$`,
		`(?m)^PrivateTmp=yes$`,
		`(?m)^CapabilityBoundingSet=CAP_NET_BIND_SERVICE$`,
		`(?m)^LoadCredential=pepper:/etc/caddy-pinauth/pepper$`,
		`(?m)^StateDirectory=caddy-pinauth$`,
		`(?m)^SystemCallFilter=@system-service$`,
		`(?m)^ExecStart=/usr/local/bin/caddy run --config /etc/caddy-pinauth/Caddyfile --adapter caddyfile$`,
	} {
		if !regexp.MustCompile(want).MatchString(unit) {
			t.Errorf("%s lacks %s", systemdUnit, want)
		}
	}
	// No secret may sit in the unit or its environment.
	if regexp.MustCompile(`(?mi)^Environment=.*(PEPPER|SECRET|DSN|PASSWORD)`).MatchString(unit) {
		t.Errorf("%s passes a secret through the environment", systemdUnit)
	}
}
