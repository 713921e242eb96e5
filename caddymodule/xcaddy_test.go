package caddymodule

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// xcaddyManifest is the part of xcaddy's build settings that xcaddy.json
// uses.
type xcaddyManifest struct {
	CaddyVersion string `json:"caddy_version"`
	Plugins      []struct {
		ModulePath string `json:"module_path"`
	} `json:"plugins"`
	Replacements []struct {
		Old string `json:"old"`
		New string `json:"new"`
	} `json:"replacements"`
}

// goMod is the part of `go mod edit -json` this test reads.
type goMod struct {
	Module  struct{ Path string }
	Require []struct{ Path, Version string }
}

// TestXcaddyManifestMatchesGoMod fails when xcaddy.json builds a different
// Caddy than go.mod pins, or names a module path or plugin package that no
// longer exists, so release builds and `go build ./cmd/caddy` stay the same
// program.
func TestXcaddyManifestMatchesGoMod(t *testing.T) {
	root := ".."
	raw, err := os.ReadFile(filepath.Join(root, "xcaddy.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m xcaddyManifest
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("xcaddy.json: %v", err)
	}

	cmd := exec.Command("go", "mod", "edit", "-json")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go mod edit -json: %v", err)
	}
	var mod goMod
	if err := json.Unmarshal(out, &mod); err != nil {
		t.Fatal(err)
	}
	var caddyVersion string
	for _, r := range mod.Require {
		if r.Path == "github.com/caddyserver/caddy/v2" {
			caddyVersion = r.Version
		}
	}
	if caddyVersion == "" {
		t.Fatal("go.mod does not require github.com/caddyserver/caddy/v2")
	}

	if m.CaddyVersion != caddyVersion {
		t.Errorf("xcaddy.json caddy_version = %q, go.mod has %q", m.CaddyVersion, caddyVersion)
	}
	wantPlugin := mod.Module.Path + "/caddymodule"
	if len(m.Plugins) != 1 || m.Plugins[0].ModulePath != wantPlugin {
		t.Errorf("xcaddy.json plugins = %+v, want exactly %q", m.Plugins, wantPlugin)
	}
	if len(m.Replacements) != 1 || m.Replacements[0].Old != mod.Module.Path || m.Replacements[0].New != "./" {
		t.Errorf("xcaddy.json replacements = %+v, want %q => ./", m.Replacements, mod.Module.Path)
	}
	// The plugin package must exist in this module.
	if _, err := os.Stat(filepath.Join(root, "caddymodule", "module.go")); err != nil {
		t.Errorf("plugin package missing: %v", err)
	}
}
