package pinauth

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// modulePath is the import path of this module.
const modulePath = "github.com/pinauth/caddy-pinauth"

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
		if pkg == modulePath+"/pinauth" {
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

// The layers of the packages under pinauth/ (issue 18). The compiler
// already refuses import cycles; these rules keep the direction of the
// arrows, so a subsystem can be read, tested and changed without the core.
const (
	// layerCore is the core, the pinauth package itself: it may import
	// every other package under pinauth/.
	layerCore = "core"
	// layerConfig is the gateway's configuration (package config): it
	// gathers the subsystems' configuration types and checks them against
	// each other, so it may import subsystems and leaves; the core imports
	// it, and no subsystem or leaf does.
	layerConfig = "config"
	// layerSubsystem is a package with one concern (the login page,
	// tokens, webhooks…): it receives what it needs from the core as an
	// interface or function hooks, and never imports the core.
	layerSubsystem = "subsystem"
	// layerLeaf is a building block every layer uses: the error catalogue
	// (lrerr), the store and its backends (store/...), pinauth's internal
	// packages (request parsing, the profile, secrets, origins) and the
	// test doubles (notifytest). A leaf imports only other leaves.
	layerLeaf = "leaf"
)

// layerOf classifies a package path under pinauth/.
func layerOf(path string) string {
	rel, _ := strings.CutPrefix(path, modulePath+"/pinauth")
	switch {
	case rel == "":
		return layerCore
	case rel == "/config":
		return layerConfig
	case rel == "/lrerr", rel == "/notifytest", rel == "/store", strings.HasPrefix(rel, "/store/"),
		strings.HasPrefix(rel, "/internal/"):
		return layerLeaf
	}
	return layerSubsystem
}

// TestPackagesUnderPinauthKeepTheirLayers checks every import of every
// package under pinauth/, its tests' included: neither the configuration
// nor a subsystem imports the core, no subsystem imports the
// configuration, and a leaf imports only leaves.
func TestPackagesUnderPinauthKeepTheirLayers(t *testing.T) {
	out, err := exec.Command("go", "list", "-e",
		"-json=ImportPath,Imports,TestImports,XTestImports", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	seen := map[string]bool{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var pkg struct {
			ImportPath                         string
			Imports, TestImports, XTestImports []string
		}
		if err := dec.Decode(&pkg); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		seen[layerOf(pkg.ImportPath)] = true
		from := layerOf(pkg.ImportPath)
		for _, imp := range slices.Concat(pkg.Imports, pkg.TestImports, pkg.XTestImports) {
			if imp == pkg.ImportPath || !strings.HasPrefix(imp, modulePath+"/pinauth") {
				continue // its own external test package, or outside pinauth/
			}
			if to := layerOf(imp); !mayImport(from, to) {
				t.Errorf("%s (%s) imports %s (%s): a %s may not import %s",
					pkg.ImportPath, from, imp, to, from, map[string]string{
						layerCore: "the core", layerConfig: "the configuration", layerSubsystem: "a subsystem",
						layerLeaf: "a leaf"}[to])
			}
		}
	}
	// Guard against a listing that silently matched nothing.
	if !seen[layerCore] || !seen[layerLeaf] {
		t.Fatalf("go list did not list the core and the leaves:\n%s", out)
	}
}

// mayImport reports whether a package of layer from may import one of
// layer to.
func mayImport(from, to string) bool {
	switch from {
	case layerCore:
		return true
	case layerConfig:
		return to != layerCore
	case layerSubsystem:
		return to != layerCore && to != layerConfig
	}
	return to == layerLeaf
}

// TestLayerOfClassifiesThePackages pins layerOf on the packages of the
// split, so a renamed or new leaf is not taken for a subsystem unnoticed.
func TestLayerOfClassifiesThePackages(t *testing.T) {
	for rel, want := range map[string]string{
		"":                           layerCore,
		"/config":                    layerConfig,
		"/lrerr":                     layerLeaf,
		"/store":                     layerLeaf,
		"/store/sqlite":              layerLeaf,
		"/store/internal/sqlstore":   layerLeaf,
		"/internal/apireq":           layerLeaf,
		"/notifytest":                layerLeaf,
		"/loginpage":                 layerSubsystem,
		"/tokens":                    layerSubsystem,
		"/ratelimit":                 layerSubsystem,
		"/captcha":                   layerSubsystem,
		"/hashing":                   layerSubsystem,
		"/recovery":                  layerSubsystem,
		"/notify":                    layerSubsystem,
		"/lrimport":                  layerSubsystem,
		"/webhook":                   layerSubsystem,
		"/identityheaders":           layerSubsystem,
		"/publicpath":                layerSubsystem,
		"/observe":                   layerSubsystem,
		"/securityquestion":          layerSubsystem,
		"/cache":                     layerSubsystem,
		"/publicpath/publicpathtest": layerSubsystem,
	} {
		if got := layerOf(modulePath + "/pinauth" + rel); got != want {
			t.Errorf("layerOf(pinauth%s) = %s, want %s", rel, got, want)
		}
	}
}
