package pinauth

import (
	"net/url"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/internal/pathoracle"
)

// FuzzPublicDecision feeds arbitrary methods and request-targets to the
// public/protected decision. Whenever it lets a target through without a
// token, the path the upstream receives (what Go's transport writes on
// the request line for that target) must be public however the app reads
// it: raw, decoded once or twice, with backslashes, ;parameters, overlong
// UTF-8, %u escapes, fullwidth forms, trailing dots, in any case… (see
// internal/pathoracle, written apart from the decision). Canonical paths
// under the rules must stay public, or the gate would be safe by being
// useless.
func FuzzPublicDecision(f *testing.F) {
	for _, s := range publicTargets {
		f.Add("GET", s)
	}
	for _, s := range protectedTargets {
		f.Add("GET", s)
	}
	f.Add("OPTIONS", "*")
	f.Add("CONNECT", "example.com:443")
	pp, err := newPublicPaths(publicTestRules)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, target string) {
		if !pp.allows(method, target) {
			return
		}
		u, err := url.ParseRequestURI(target)
		if err != nil {
			t.Fatalf("%q is public but does not parse: %v", target, err)
		}
		forwarded, _, _ := strings.Cut(u.RequestURI(), "?")
		if v := pathoracle.Violations(publicTestRules, forwarded); len(v) != 0 {
			t.Fatalf("%s %q passes the gate, but reaches the upstream as %q, which is not public when read as:\n%s",
				method, target, forwarded, strings.Join(v, "\n"))
		}
	})
}

// TestCanonicalPathsUnderTheRulesArePublic is the other half of the fuzz
// property: the decision is not allowed to be safe by refusing everything.
func TestCanonicalPathsUnderTheRulesArePublic(t *testing.T) {
	t.Parallel()
	pp, err := newPublicPaths(publicTestRules)
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range publicTargets {
		if !pp.allows("GET", target) {
			t.Errorf("%q: canonical and under a rule, but not public", target)
		}
		if !pp.allows("HEAD", target) || !pp.allows("POST", target) {
			t.Errorf("%q: public for GET only", target)
		}
	}
}
