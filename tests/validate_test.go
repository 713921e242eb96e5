package tests

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCaddyValidateAndAdaptRefuseBadConfigNamingTheLineWithoutTheSecret runs
// the built binary's `caddy adapt` and `caddy validate` on broken
// Caddyfiles, as an operator would before a deploy: each must fail, name
// the subdirective (and, for what the Caddyfile parser sees, the file and
// line), and never print the secret on the bad line. An unknown word is
// not repeated: it may be a secret that slipped onto its own line.
func TestCaddyValidateAndAdaptRefuseBadConfigNamingTheLineWithoutTheSecret(t *testing.T) {
	t.Parallel()
	const secret = "SECRET-d41d8cd98f00b204"
	site := func(lines string) string {
		return ":8080 {\n\tpin_auth {\n\t\ttenant demo {\n\t\t\tapi_key k-0123456789abcdef\n\t\t\tapi_secret s-0123456789abcdef\n\t\t}\n" +
			"\t\tpepper p-0123456789abcdef0123\n" + lines + "\n\t}\n\trespond ok\n}\n"
	}
	for _, c := range []struct {
		name, caddyfile string
		adaptFails      bool
		want            []string
	}{
		{"a misspelt subdirective", site("\t\tisuer https://auth.example.com"), true, []string{"Caddyfile:8", "unknown subdirective", "did you mean issuer?"}},
		{"a secret with a second value", site("\t\tsigning_key " + secret + " " + secret + "-2"), true, []string{"Caddyfile:8", "signing_key"}},
		{"a pepper continued on the next line", site("\t\tpepper-older " + secret), true, []string{"Caddyfile:8", "unknown subdirective"}},
		{"a pepper too short to be one", strings.Replace(site(""), "pepper p-0123456789abcdef0123", "pepper "+secret[:10], 1), false, []string{"pepper"}},
		{"an api_secret too short to be one", strings.Replace(site(""), "api_secret s-0123456789abcdef", "api_secret "+secret[:10], 1), false, []string{"api_secret", "16 bytes"}},
		{"an api_secret of one letter", strings.Replace(site(""), "api_secret s-0123456789abcdef", "api_secret x", 1), false, []string{"api_secret", "16 bytes"}},
		{"an api_secret equal to the public api_key", strings.Replace(site(""), "api_secret s-0123456789abcdef", "api_secret k-0123456789abcdef", 1), false, []string{"api_secret equals an api_key"}},
		{"an empty placeholder for a secret", site("\t\tsigning_key {env.PINAUTH_E2E_UNSET_KEY}"), false, []string{"signing_key"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			conf := filepath.Join(dir, "Caddyfile")
			if err := os.WriteFile(conf, []byte(c.caddyfile), 0o600); err != nil {
				t.Fatal(err)
			}
			for _, cmd := range []string{"adapt", "validate"} {
				out, status := runCaddy(t, dir, cmd, "--config", conf, "--adapter", "caddyfile")
				if cmd == "adapt" && !c.adaptFails {
					if status != 0 {
						t.Errorf("caddy adapt: status %d, want 0 (the error is one of Provision):\n%s", status, out)
					}
					continue
				}
				if status == 0 {
					t.Errorf("caddy %s: status 0 for a broken config:\n%s", cmd, out)
					continue
				}
				for _, w := range c.want {
					if !strings.Contains(out, w) {
						t.Errorf("caddy %s: the error does not name %q:\n%s", cmd, w, out)
					}
				}
				if strings.Contains(out, secret[:10]) {
					t.Errorf("caddy %s printed the secret:\n%s", cmd, out)
				}
			}
		})
	}
}

// caddyCommand is the built caddy with args, run in dir with a private
// home and no other environment.
func caddyCommand(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command(caddyBin, args...)
	cmd.Dir = dir
	cmd.Env = []string{
		"HOME=" + filepath.Join(dir, "home"),
		"XDG_DATA_HOME=" + filepath.Join(dir, "data"),
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"TMPDIR=" + dir,
		"GORACE=exitcode=66",
	}
	return cmd
}

// runCaddy runs the built caddy with args in dir, with a private home and
// no other environment, and returns its combined output and exit status.
func runCaddy(t *testing.T, dir string, args ...string) (string, int) {
	t.Helper()
	cmd := caddyCommand(dir, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return out.String(), exit.ExitCode()
	} else if err != nil {
		t.Fatalf("running caddy %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), 0
}
