package caddymodule

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// parserNames asks the parser which names a block accepts: it feeds body
// (with an unknown name where the block's subdirectives go) and reads the
// "(known: …)" or "(want …)" list of the error. The parser is the oracle,
// so the test follows it wherever its code lives.
func parserNames(t *testing.T, body string) []string {
	t.Helper()
	err := new(Handler).UnmarshalCaddyfile(caddyfile.NewTestDispenser("pin_auth {\n" + body + "\n}"))
	if err == nil {
		t.Fatalf("the parser accepted an unknown subdirective in:\n%s", body)
	}
	m := regexp.MustCompile(`\((?:known:|want) ([^)]*)\)`).FindStringSubmatch(err.Error())
	if m == nil {
		t.Fatalf("the parser's error names no known subdirectives: %v", err)
	}
	var names []string
	for _, part := range strings.Split(m[1], ", ") {
		for _, n := range strings.Split(part, " or ") {
			if n = strings.TrimSpace(n); n != "" {
				names = append(names, n)
			}
		}
	}
	return names
}

// guideRow is one row of the operator guide's subdirective table.
type guideRow struct {
	syntax, meaning, def string
	tenant               bool // a subdirective of tenant (indented)
}

// name is the row's subdirective name: the syntax cell's first word.
func (r guideRow) name() string {
	f := strings.Fields(strings.Trim(r.syntax, "`"))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// guideTable reads the table under "Every subdirective, with its default".
func guideTable(t *testing.T) []guideRow {
	t.Helper()
	b, err := os.ReadFile("../docs/operator-guide.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "## Every subdirective, with its default")
	if !ok {
		t.Fatal("the operator guide has no section \"Every subdirective, with its default\"")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var rows []guideRow
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		// Split on cell bars, not on escaped ones (`a\|b`).
		cells := regexp.MustCompile(`\s*[^\\]\|\s*`).Split(strings.TrimPrefix(line, "| "), -1)
		if len(cells) < 3 {
			t.Fatalf("a table row with fewer than three cells: %s", line)
		}
		rows = append(rows, guideRow{syntax: cells[0], meaning: cells[1], def: strings.TrimSpace(cells[2]),
			tenant: strings.HasPrefix(cells[0], "`  ")})
	}
	if len(rows) == 0 {
		t.Fatal("the operator guide's subdirective table is empty")
	}
	return rows
}

// TestOperatorGuideListsEverySubdirectiveWithItsDefault keeps the operator
// guide's table from drifting from the parser: every name the parser
// accepts, at every level, has a row (or, inside a block, is named in its
// parent's row) with its default; and the table names nothing the parser
// rejects.
func TestOperatorGuideListsEverySubdirectiveWithItsDefault(t *testing.T) {
	t.Parallel()
	rows := guideTable(t)
	const unknown = "zz_not_a_subdirective"
	top := parserNames(t, unknown)
	tenant := parserNames(t, "tenant t {\n"+unknown+"\n}")

	find := func(tenantLevel bool, prefix string) (guideRow, bool) {
		for _, r := range rows {
			if r.tenant == tenantLevel && strings.HasPrefix(strings.TrimLeft(strings.Trim(r.syntax, "`"), " "), prefix) {
				return r, true
			}
		}
		return guideRow{}, false
	}
	for _, level := range []struct {
		tenant bool
		names  []string
	}{{false, top}, {true, tenant}} {
		for _, name := range level.names {
			r, ok := find(level.tenant, name+" ")
			if !ok {
				r, ok = find(level.tenant, name)
			}
			if !ok || r.name() != name {
				t.Errorf("the operator guide has no row for %s (tenant level: %v)", name, level.tenant)
				continue
			}
			if r.def == "" {
				t.Errorf("the operator guide's row for %s states no default", name)
			}
		}
	}
	for _, r := range rows {
		names := top
		if r.tenant {
			names = tenant
		}
		if !slices.Contains(names, r.name()) {
			t.Errorf("the operator guide documents %q, which the parser rejects (tenant level: %v)", r.name(), r.tenant)
		}
	}

	// Inside blocks: each option is named, in backticks, in the default
	// cell of its parent's row, with its default (or "required").
	for _, b := range []struct{ row, body string }{
		{"store postgres", "store postgres postgres://db {\n" + unknown + "\n}"},
		{"captcha", "captcha recaptcha s {\n" + unknown + "\n}"},
		{"webhook", "webhook https://hooks.example {\n" + unknown + "\n}"},
		{"email", "email smtp mail.example:587 {\n" + unknown + "\n}"},
		{"sms", "sms https://sms.example {\n" + unknown + "\n}"},
		{"login_page", "login_page {\n" + unknown + "\n}"},
		{"cookie", "cookie {\n" + unknown + "\n}"},
	} {
		r, ok := find(false, b.row+" ")
		if !ok {
			t.Errorf("the operator guide has no row for %s", b.row)
			continue
		}
		for _, opt := range parserNames(t, b.body) {
			if !strings.Contains(r.syntax, opt) {
				t.Errorf("the operator guide's %s row does not show %s in its syntax", b.row, opt)
			}
			if !strings.Contains(r.def, "`"+opt) {
				t.Errorf("the operator guide's %s row states no default for %s", b.row, opt)
			}
		}
	}
}
