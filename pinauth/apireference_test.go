package pinauth

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
)

// TestAPIReferenceMatchesTheRouterAndTheCatalogue keeps docs/api-reference.md
// true: its endpoint table lists exactly the routes the router serves (with
// the right auth), and its error table exactly the catalogue's codes,
// statuses and messages. A row's Spec is a row of spec/api.md (1–22) or
// "ext" for a gateway extension the spec does not list.
func TestAPIReferenceMatchesTheRouterAndTheCatalogue(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../docs/api-reference.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	_, errs, ok := strings.Cut(doc, "\n## Errors\n")
	if !ok {
		t.Fatal("docs/api-reference.md has no Errors section")
	}

	routeRow := regexp.MustCompile("(?m)^\\| (\\d+|ext) \\| (GET|POST|PUT|DELETE) \\| `([^`]+)` \\| ([^|]+) \\| ([^|]+) \\|")
	// The "LoginRadius shape" column: exact, or differs with the reasons
	// (tests/conformance_test.go holds each row to the answers); the
	// public keys are no LoginRadius call.
	shapeCell := regexp.MustCompile(`^(exact|differs \(.+\)|n/a \(.+\))$`)
	documented := map[string]string{}
	for _, m := range routeRow.FindAllStringSubmatch(doc, -1) {
		if n, _ := strconv.Atoi(m[1]); m[1] != "ext" && (n < 1 || n > 22) {
			t.Errorf("%s %s names spec row %s, which does not exist", m[2], m[3], m[1])
		}
		key := m[2] + " " + m[3]
		if _, dup := documented[key]; dup {
			t.Errorf("%s is documented twice", key)
		}
		documented[key] = strings.TrimSpace(m[4])
		if shape := strings.TrimSpace(m[5]); !shapeCell.MatchString(shape) || strings.HasPrefix(shape, "n/a") != (m[3] == config.JWKSPath) {
			t.Errorf("%s: LoginRadius shape %q; want exact, differs (why), or n/a (why) for the public keys only", key, shape)
		}
	}
	served := map[string]string{"GET " + config.JWKSPath: "none"}
	for _, r := range apiRoutes() {
		auth := "api key"
		if r.auth == authSecret {
			auth = "api key + secret"
		}
		for _, m := range r.methods {
			served[m+" /"+strings.Join(r.segments, "/")] = auth
		}
	}
	for key, auth := range served {
		if got, ok := documented[key]; !ok {
			t.Errorf("the router serves %s but the reference does not list it", key)
		} else if got != auth {
			t.Errorf("%s: the reference says auth %q, the router %q", key, got, auth)
		}
	}
	for key := range documented {
		if _, ok := served[key]; !ok {
			t.Errorf("the reference lists %s but the router does not serve it", key)
		}
	}

	errorRow := regexp.MustCompile(`(?m)^\| (\d+) \| (\d+) \| (.+?) \|$`)
	seen := map[lrerr.Code]bool{}
	for _, m := range errorRow.FindAllStringSubmatch(errs, -1) {
		code, _ := strconv.Atoi(m[1])
		status, _ := strconv.Atoi(m[2])
		e, ok := lrerr.Lookup(lrerr.Code(code))
		switch {
		case !ok:
			t.Errorf("the reference lists error %d, which the catalogue does not have", code)
		case e.Status != status || e.Message != m[3]:
			t.Errorf("error %d: the reference says %d %q, the catalogue %d %q", code, status, m[3], e.Status, e.Message)
		}
		seen[lrerr.Code(code)] = true
	}
	for _, code := range lrerr.Codes() {
		if !seen[code] {
			t.Errorf("the catalogue has error %d but the reference does not list it", code)
		}
	}
}
