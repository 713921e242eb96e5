package pinauth

import (
	"os"
	"regexp"
	"testing"
)

// TestVersionIsTheNewestChangelogEntry keeps the released version in one
// place in practice: tagging a release means adding its CHANGELOG.md entry,
// and the code must report the same version.
func TestVersionIsTheNewestChangelogEntry(t *testing.T) {
	b, err := os.ReadFile("../CHANGELOG.md")
	if err != nil {
		t.Fatal(err)
	}
	// Entries are "## vX.Y.Z — YYYY-MM-DD", newest first; "Unreleased"
	// may stand above them.
	m := regexp.MustCompile(`(?m)^## (v\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)\b`).FindSubmatch(b)
	if m == nil {
		t.Fatal("CHANGELOG.md has no \"## vX.Y.Z\" entry")
	}
	if got := string(m[1]); got != Version {
		t.Errorf("CHANGELOG.md's newest entry is %s, pinauth.Version is %s", got, Version)
	}
}
