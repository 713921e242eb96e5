package caddymodule

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig"
	_ "github.com/caddyserver/caddy/v2/modules/standard"
)

var update = flag.Bool("update", false, "rewrite the adapt goldens from the current output")

// goldenSeparator splits a .caddyfiletest into its Caddyfile and the
// expected result, as in Caddy's own caddyfile_adapt tests.
const goldenSeparator = "----------"

// TestCaddyfileAdaptsToGoldenJSON adapts every testdata/adapt/*.caddyfiletest
// with the real Caddyfile adapter. The expected part is either the exact JSON
// or, when it does not start with "{", a substring of the adapt error.
func TestCaddyfileAdaptsToGoldenJSON(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "adapt", "*.caddyfiletest"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no goldens found in testdata/adapt")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			caddyfileText, expected, ok := strings.Cut(string(data), goldenSeparator)
			if !ok {
				t.Fatalf("%s has no %s line", file, goldenSeparator)
			}
			caddyfileText = strings.TrimSpace(caddyfileText) + "\n"
			expected = strings.TrimSpace(expected)

			if expected != "" && !strings.HasPrefix(expected, "{") {
				_, err := adapt(caddyfileText)
				if err == nil {
					t.Fatalf("adapting succeeded, want an error containing %q", expected)
				}
				if !strings.Contains(err.Error(), expected) {
					t.Fatalf("adapt error:\n%v\nwant it to contain:\n%s", err, expected)
				}
				return
			}
			got, err := adapt(caddyfileText)
			if err != nil {
				t.Fatal(err)
			}
			if *update {
				out := caddyfileText + goldenSeparator + "\n" + got + "\n"
				if err := os.WriteFile(file, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			compareJSON(t, expected, got)
		})
	}
}

// TestCaddyfileExampleAdaptsToGoldenJSON keeps the repository's
// Caddyfile.example and its golden in step. It runs with none of the
// example's variables set, as a first-time user would, and again with its
// secrets set: the adapted JSON (which `caddy run` saves as autosave.json)
// must be the same, holding none of them, since the example reads them
// with runtime placeholders when Caddy starts.
func TestCaddyfileExampleAdaptsToGoldenJSON(t *testing.T) {
	for _, name := range []string{"PINAUTH_PORT", "PINAUTH_BIND"} {
		t.Setenv(name, "") // restored after the test
		os.Unsetenv(name)  // {$X:default} uses the default only when X is unset
	}
	secrets := map[string]string{
		"PINAUTH_API_KEY":    "example-key-from-env-7f3a",
		"PINAUTH_API_SECRET": "example-secret-from-env-91c2d",
		"PINAUTH_PEPPER":     "example-pepper-from-env-5e8b0c",
	}
	for name := range secrets {
		t.Setenv(name, "")
		os.Unsetenv(name)
	}
	src, err := os.ReadFile(filepath.Join("..", "Caddyfile.example"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := adapt(string(src))
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "adapt", "Caddyfile.example.json")
	if *update {
		if err := os.WriteFile(golden, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	compareJSON(t, strings.TrimSpace(string(want)), got)

	for name, value := range secrets {
		t.Setenv(name, value)
	}
	withSecrets, err := adapt(string(src))
	if err != nil {
		t.Fatal(err)
	}
	for name, value := range secrets {
		if strings.Contains(withSecrets, value) {
			t.Errorf("the adapted example holds the value of %s", name)
		}
	}
	compareJSON(t, strings.TrimSpace(string(want)), withSecrets)
}

// adapt runs the real Caddyfile adapter and returns indented JSON. Adapter
// warnings fail the adaptation: an example that adapts with warnings is not
// one to copy.
func adapt(caddyfileText string) (string, error) {
	adapter := caddyconfig.GetAdapter("caddyfile")
	out, warnings, err := adapter.Adapt([]byte(caddyfileText), map[string]any{"filename": "Caddyfile"})
	if err != nil {
		return "", err
	}
	if len(warnings) > 0 {
		return "", fmt.Errorf("adapter warnings: %v", warnings)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, out, "", "\t"); err != nil {
		return "", err
	}
	return pretty.String(), nil
}

// compareJSON fails with the first differing line when got is not want.
func compareJSON(t *testing.T, want, got string) {
	t.Helper()
	if want == got {
		return
	}
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			t.Fatalf("adapted JSON differs from the golden at line %d:\nwant: %s\n got: %s\n(run go test -run Golden -update to rewrite goldens, then review the diff)\nfull output:\n%s", i+1, w, g, got)
		}
	}
}

// docSiteBlock is the first line of a documentation code block that is a
// whole Caddyfile site (an address, then "{"), not a fragment of pin_auth.
var docSiteBlock = regexp.MustCompile(`^[^\s{#]\S* \{$`)

// TestDocumentedSitesAdaptWithoutWarnings adapts every whole site written
// in the README and the guides, as an operator would copy it: each must
// adapt with no error and no warning (an unformatted one makes Caddy warn
// on every start). The README's minimal site must moreover be the
// minimal_site golden.
func TestDocumentedSitesAdaptWithoutWarnings(t *testing.T) {
	docs, err := filepath.Glob(filepath.Join("..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	docs = append(docs, filepath.Join("..", "README.md"))
	fence := regexp.MustCompile("(?s)```[a-z]*\n(.*?)```")
	sites := 0
	for _, doc := range docs {
		text, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range fence.FindAllStringSubmatchIndex(string(text), -1) {
			block := string(text[m[2]:m[3]])
			first, _, _ := strings.Cut(block, "\n")
			if !docSiteBlock.MatchString(first) || first == "pin_auth {" {
				continue
			}
			sites++
			line := bytes.Count(text[:m[0]], []byte("\n")) + 1
			got, err := adapt(block)
			if err != nil {
				t.Errorf("%s:%d: %v", filepath.Base(doc), line, err)
				continue
			}
			if filepath.Base(doc) == "README.md" && first == ":8080 {" {
				golden, err := os.ReadFile(filepath.Join("testdata", "adapt", "minimal_site.caddyfiletest"))
				if err != nil {
					t.Fatal(err)
				}
				_, want, _ := strings.Cut(string(golden), goldenSeparator)
				compareJSON(t, strings.TrimSpace(want), got)
			}
		}
	}
	if sites < 2 {
		t.Fatalf("found %d documented sites; the README's minimal site and the migration guide's should be among them", sites)
	}
}
