package tests

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readRepoFile reads a file at the repository root.
func readRepoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// readmeSection returns the text of the README's "## heading" section,
// up to the next one.
func readmeSection(t *testing.T, heading string) string {
	t.Helper()
	_, section, ok := strings.Cut(readRepoFile(t, "README.md"), "\n## "+heading+"\n")
	if !ok {
		t.Fatalf("README has no %s section", heading)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	return section
}

// codeBlocks returns the fenced code blocks of a Markdown section.
func codeBlocks(section string) []string {
	re := regexp.MustCompile("(?s)```[a-z]*\n(.*?)```")
	var blocks []string
	for _, m := range re.FindAllStringSubmatch(section, -1) {
		blocks = append(blocks, m[1])
	}
	return blocks
}

// TestREADMEQuickStartIsTwoCommandsAndCIRunsItsTestCommand keeps the
// promise of the README's Quick start: exactly two commands, one running
// the example and one running the tests, and CI running that same test
// command.
func TestREADMEQuickStartIsTwoCommandsAndCIRunsItsTestCommand(t *testing.T) {
	t.Parallel()
	cmds := quickStartCommands(t)
	want := []string{
		"go run ./cmd/caddy run --config Caddyfile.example --adapter caddyfile",
		"go test ./...",
	}
	if strings.Join(cmds, "\n") != strings.Join(want, "\n") {
		t.Fatalf("Quick start commands = %q, want %q", cmds, want)
	}

	// What a first run needs to know: the wait, where the page is, how
	// to move it without editing the file.
	quick := readmeSection(t, "Quick start")
	for _, want := range []string{"on an empty module cache\nit takes several minutes", "**http://localhost:8080/login**", "`PINAUTH_PORT=8081 go run ./cmd/caddy run …`"} {
		if !strings.Contains(quick, want) {
			t.Errorf("Quick start does not say %q", want)
		}
	}
	if example := readRepoFile(t, "Caddyfile.example"); !strings.Contains(example, "\n:{$PINAUTH_PORT:8080} {\n") || !strings.Contains(example, "\t\tlogin_page\n") {
		t.Error("Caddyfile.example does not serve the login page on :{$PINAUTH_PORT:8080}")
	}

	ci := readRepoFile(t, ".ci/run")
	// CI names its PostgreSQL: one that does not answer must fail the run,
	// where a developer's machine without it skips those tests.
	if !regexp.MustCompile(`(?m)^export PINAUTH_TEST_POSTGRES_DSN=`).MatchString(ci) {
		t.Error(".ci/run does not export PINAUTH_TEST_POSTGRES_DSN")
	}
	if !regexp.MustCompile(`(?m)^step \w+ ` + regexp.QuoteMeta(want[1]) + `$`).MatchString(ci) {
		t.Errorf(".ci/run does not run the README's test command %q as a step", want[1])
	}
}

// TestREADMEXcaddyLineMatchesXcaddyJSON fails when the README's xcaddy
// command builds something other than xcaddy.json describes.
func TestREADMEXcaddyLineMatchesXcaddyJSON(t *testing.T) {
	t.Parallel()
	var m struct {
		CaddyVersion string `json:"caddy_version"`
		Plugins      []struct {
			ModulePath string `json:"module_path"`
		} `json:"plugins"`
		Replacements []struct{ Old, New string } `json:"replacements"`
	}
	if err := json.Unmarshal([]byte(readRepoFile(t, "xcaddy.json")), &m); err != nil {
		t.Fatal(err)
	}
	want := "xcaddy build " + m.CaddyVersion
	for _, p := range m.Plugins {
		want += " --with " + p.ModulePath
	}
	for _, r := range m.Replacements {
		want += " --replace " + r.Old + "=" + r.New
	}
	if !strings.Contains(readRepoFile(t, "README.md"), "\n"+want+"\n") {
		t.Fatalf("README lacks the xcaddy line of xcaddy.json:\n%s", want)
	}
}
