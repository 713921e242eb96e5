package tests

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// maxTrackedFileSize is the largest file the repository may track outside
// a testdata directory: anything bigger is a build output or a data set
// committed by mistake (a 28 MB bench binary once was).
const maxTrackedFileSize = 1 << 20

// TestNoTrackedFileOverOneMBOutsideTestdata fails when git tracks a file
// larger than 1 MB anywhere but under a testdata/ directory.
func TestNoTrackedFileOverOneMBOutsideTestdata(t *testing.T) {
	t.Parallel()
	cmd := exec.Command("git", "ls-files", "--cached", "-z")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git ls-files (the test needs a git checkout): %v", err)
	}
	files := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if len(files) < 10 {
		t.Fatalf("git ls-files listed %d files; is this the repository?", len(files))
	}
	for _, name := range files {
		if slices.Contains(strings.Split(name, "/"), "testdata") {
			continue
		}
		fi, err := os.Stat(filepath.Join("..", name))
		if err != nil {
			continue // deleted in the work tree, not yet committed
		}
		if fi.Size() > maxTrackedFileSize {
			t.Errorf("%s is tracked and %d bytes (limit %d outside testdata/): remove it and ignore it in .gitignore", name, fi.Size(), maxTrackedFileSize)
		}
	}
}

// TestGitignoreCoversTheBuildOutputs keeps the binaries the README and
// bench/ build out of `git status`, so they cannot be committed by a
// careless `git add -A`.
func TestGitignoreCoversTheBuildOutputs(t *testing.T) {
	t.Parallel()
	paths := []string{"caddy", "bench/bench", "pinauth/pinauth.test", "cpu.prof", "cover.out"}
	cmd := exec.Command("git", append([]string{"check-ignore", "--no-index"}, paths...)...)
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git check-ignore: %v (output %q)", err, out)
	}
	ignored := strings.Fields(string(bytes.TrimSpace(out)))
	for _, p := range paths {
		if !slices.Contains(ignored, p) {
			t.Errorf("%s is not ignored by .gitignore", p)
		}
	}
}
