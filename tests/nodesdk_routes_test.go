package tests

import (
	"encoding/json"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
)

// accessEntry is the part of a Caddy access log entry the test reads.
type accessEntry struct {
	Request struct {
		Method string `json:"method"`
		URI    string `json:"uri"`
	} `json:"request"`
	Status int `json:"status"`
}

func accessEntries(t *testing.T, path string) []accessEntry {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read the access log: %v", err)
	}
	var out []accessEntry
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var e accessEntry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("access log line %q: %v", line, err)
		}
		out = append(out, e)
	}
	return out
}

// servedRoutes reads the endpoint table of docs/api-reference.md (a test
// in pinauth/ holds it equal to the router) as "METHOD /path" strings,
// paths below the API prefix.
func servedRoutes(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../docs/api-reference.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, _ := strings.Cut(string(b), "\n## Endpoints\n")
	table, _, _ = strings.Cut(table, "\n## ")
	row := regexp.MustCompile("(?m)^\\| [^|]+ \\| ([A-Z]+) \\| `([^`]+)` \\|")
	var routes []string
	for _, m := range row.FindAllStringSubmatch(table, -1) {
		routes = append(routes, m[1]+" "+m[2])
	}
	if len(routes) < 40 {
		t.Fatalf("the API reference's endpoint table has only %d rows", len(routes))
	}
	return routes
}

// matchRoute returns the route of routes that serves method and the
// request URI, or "". Of several, the one with the fewest {uid} and
// {name} segments serves it, as the router lists literal routes
// (/manage/account/identities) before the {uid} ones.
func matchRoute(routes []string, method, uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return ""
	}
	p := u.Path
	if rest, ok := strings.CutPrefix(strings.ToLower(p), strings.ToLower(apiPrefix)+"/"); ok {
		p = "/" + rest
	}
	segs := strings.Split(strings.Trim(p, "/"), "/")
	best, bestWild := "", len(segs)+1
	for _, r := range routes {
		m, path, _ := strings.Cut(r, " ")
		want := strings.Split(strings.Trim(path, "/"), "/")
		if m != method || len(want) != len(segs) {
			continue
		}
		same, wild := true, 0
		for i, w := range want {
			if w == "{uid}" || w == "{name}" {
				wild++
			} else if !strings.EqualFold(w, segs[i]) {
				same = false
				break
			}
		}
		if same && wild < bestWild {
			best, bestWild = r, wild
		}
	}
	return best
}
