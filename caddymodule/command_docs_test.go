package caddymodule

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestEveryDocumentedCLIMentionNamesARealCommandAndFlags reads every
// `caddy pinauth …` the README and the guides print, in prose, tables
// and code blocks (tests/doccommands_test.go runs the code blocks'), and
// resolves it against the command tree: each names an existing command
// (a group only when nothing follows it) and only flags that command has.
func TestEveryDocumentedCLIMentionNamesARealCommandAndFlags(t *testing.T) {
	var docs []string
	for _, g := range []string{"README.md", "SECURITY.md", "CHANGELOG.md", "docs/*.md"} {
		m, err := filepath.Glob(filepath.Join("..", g))
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, m...)
	}
	mention := regexp.MustCompile("caddy pinauth(?: [^`\n]*)?")
	root := pinauthRoot(t, nil, nil, nil)
	// The checker itself: it tells a wrong subcommand or flag.
	for m, bad := range map[string]bool{
		"caddy pinauth user show <uid> --json --config Caddyfile.example": false,
		"caddy pinauth webhooks replay --all [--tenant <name>]   # note":  false,
		"caddy pinauth user update alice":                                 true,
		"caddy pinauth stats --jsn":                                       true,
	} {
		if got := checkCLIMention(root, m) != ""; got != bad {
			t.Fatalf("checkCLIMention(%q) finds a fault: %v, want %v", m, got, bad)
		}
	}
	seen := 0
	for _, doc := range docs {
		text, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for n, line := range strings.Split(string(text), "\n") {
			for _, m := range mention.FindAllString(line, -1) {
				seen++
				if err := checkCLIMention(root, m); err != "" {
					t.Errorf("%s:%d: %q: %s", filepath.Base(doc), n+1, m, err)
				}
			}
		}
	}
	if seen < 10 {
		t.Fatalf("found %d mentions of caddy pinauth in the documents", seen)
	}
}

// checkCLIMention resolves one mention, "caddy pinauth user show <uid>
// [--json]", and says what is wrong with it ("" for nothing).
func checkCLIMention(root *cobra.Command, mention string) string {
	cmd := root
	words := strings.Fields(strings.TrimPrefix(mention, "caddy pinauth"))
	i := 0
	for ; i < len(words); i++ {
		next := findChild(cmd, words[i])
		if next == nil {
			break
		}
		cmd = next
	}
	for _, w := range words[i:] {
		if w == "#" || w == "|" || w == `\|` || w == ";" || strings.HasPrefix(w, ">") {
			break // a comment, a pipe: the command ended
		}
		w = strings.Trim(w, "[]()")
		switch {
		case strings.HasPrefix(w, "--"):
			name, _, _ := strings.Cut(strings.TrimPrefix(w, "--"), "=")
			if cmd.Flags().Lookup(name) == nil && cmd.InheritedFlags().Lookup(name) == nil {
				return "`" + cmd.CommandPath() + "` has no flag --" + name
			}
		case cmd.HasSubCommands() && w != "" && w != "…" && !strings.HasPrefix(w, "<"):
			return "`" + cmd.CommandPath() + "` has no subcommand " + w
		}
	}
	return ""
}

// findChild returns cmd's subcommand called name, or nil.
func findChild(cmd *cobra.Command, name string) *cobra.Command {
	for _, c := range cmd.Commands() {
		if c.Name() == name {
			return c
		}
	}
	return nil
}
