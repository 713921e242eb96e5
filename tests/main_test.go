package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres/pgtest"
)

// caddyBin is the Caddy binary built from this repository by TestMain.
var caddyBin string

// caddyPackage is what TestMain builds: Caddy's standard modules plus ours.
const caddyPackage = "github.com/pinauth/caddy-pinauth/cmd/caddy"

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "pinauth-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "tests: temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	caddyBin = filepath.Join(dir, "caddy")
	args := []string{"build", "-o", caddyBin}
	if raceEnabled {
		// Under `go test -race` the child is built with the race detector
		// too, so races in the module show up under real Caddy traffic
		// (stopCaddy fails the test when the child reports one).
		args = append(args, "-race")
	}
	cmd := exec.Command(goTool(), append(args, caddyPackage)...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "tests: building", caddyPackage+":", err)
		return 1
	}
	return pgtest.Run(m)
}

// goTool finds the go command that runs these tests.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}
