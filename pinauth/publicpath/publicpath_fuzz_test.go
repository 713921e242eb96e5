package publicpath_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/internal/pathoracle"
	"github.com/pinauth/caddy-pinauth/pinauth/publicpath"
	"github.com/pinauth/caddy-pinauth/pinauth/publicpath/publicpathtest"
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
	for _, s := range publicpathtest.PublicTargets {
		f.Add("GET", s)
	}
	for _, s := range publicpathtest.ProtectedTargets {
		f.Add("GET", s)
	}
	f.Add("OPTIONS", "*")
	f.Add("CONNECT", "example.com:443")
	pp, err := publicpath.New(publicpathtest.Rules)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, target string) {
		if !pp.Allows(method, target) {
			return
		}
		u, err := url.ParseRequestURI(target)
		if err != nil {
			t.Fatalf("%q is public but does not parse: %v", target, err)
		}
		forwarded, _, _ := strings.Cut(u.RequestURI(), "?")
		if v := pathoracle.Violations(publicpathtest.Rules, forwarded); len(v) != 0 {
			t.Fatalf("%s %q passes the gate, but reaches the upstream as %q, which is not public when read as:\n%s",
				method, target, forwarded, strings.Join(v, "\n"))
		}
	})
}

// TestCanonicalPathsUnderTheRulesArePublic is the other half of the fuzz
// property: the decision is not allowed to be safe by refusing everything.
func TestCanonicalPathsUnderTheRulesArePublic(t *testing.T) {
	t.Parallel()
	pp, err := publicpath.New(publicpathtest.Rules)
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range publicpathtest.PublicTargets {
		if !pp.Allows("GET", target) {
			t.Errorf("%q: canonical and under a rule, but not public", target)
		}
		if !pp.Allows("HEAD", target) || !pp.Allows("POST", target) {
			t.Errorf("%q: public for GET only", target)
		}
	}
}
