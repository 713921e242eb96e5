package publicpath_test

import (
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/publicpath"
)

func TestPublicRulesThatCouldNeverMatchStopTheConfig(t *testing.T) {
	t.Parallel()
	for _, rule := range []string{"healthz", "/a;b", "/a//b", "/a/../b", "/a/./b", "/a/.", "/a.", "/a ",
		"/100%", `/a\b`, "/a?b", "/a#b", "/\xc3\xa9", "/a\x00", "//*", "/" + strings.Repeat("a", publicpath.MaxLen)} {
		if err := publicpath.Validate(rule); err == nil {
			t.Errorf("public %q was accepted", rule)
		}
		if _, err := publicpath.New([]string{rule}); err == nil {
			t.Errorf("publicpath.New(%q) was accepted", rule)
		}
	}
	for _, rule := range []string{"/", "/*", "/healthz", "/a b", "/a(1)", "/static/", "/assets*", "/x.*", "/v1.2/"} {
		if err := publicpath.Validate(rule); err != nil {
			t.Errorf("public %q: %v", rule, err)
		}
	}
	pp, err := publicpath.New([]string{"/a b", "/v1.2/"})
	if err != nil {
		t.Fatal(err)
	}
	for target, want := range map[string]bool{"/a%20b": true, "/a%20B": false, "/v1.2": true, "/v1.2/x": true, "/v1.2x": false} {
		if got := pp.Allows("GET", target); got != want {
			t.Errorf("rule set {/a b, /v1.2/}: %q public = %v, want %v", target, got, want)
		}
	}
}
