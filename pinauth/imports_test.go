package pinauth

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPinauthNeverImportsCaddy enforces the layering rule: the core and its
// stores are plain Go, usable and testable without Caddy; only the adapter
// (caddymodule), cmd and tests may import Caddy. It checks every package
// under pinauth/, with its tests, transitively.
func TestPinauthNeverImportsCaddy(t *testing.T) {
	cmd := exec.Command("go", "list", "-e", "-deps", "-test",
		"-f", "{{.ImportPath}}", "./...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var sawCore bool
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "github.com/pinauth/caddy-pinauth/pinauth" {
			sawCore = true
		}
		if strings.HasPrefix(pkg, "github.com/caddyserver/caddy") {
			t.Errorf("a package under pinauth/ depends on %s; only caddymodule, cmd and tests may import Caddy", pkg)
		}
	}
	// Guard against a listing that silently matched nothing.
	if !sawCore {
		t.Fatalf("go list did not list the pinauth package itself:\n%s", out)
	}
}
