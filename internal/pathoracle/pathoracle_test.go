package pathoracle

import "testing"

// The oracle must see through each class it claims to read, or the tests
// built on it would pass a gate that lets them through.
func TestEveryClassOfPathConfusionIsSeenThrough(t *testing.T) {
	t.Parallel()
	rules := []string{"/healthz", "/static/", "/assets*"}
	for _, p := range []string{
		"/healthz/../admin",
		"/static/%2e%2e/admin",
		"/static/..%2fadmin",
		"/static/%252e%252e%252fadmin",
		"/static/..%5cadmin",
		"/static/..;/admin",
		"/static/%c0%ae%c0%ae/admin",
		"/static/%e0%80%ae%e0%80%ae/admin",
		"/static/%u002e%u002e/admin",
		"/static/%ef%bc%8e%ef%bc%8e/admin",
		"/static%23/../admin",
		"/static/x%3F/../../admin",
		"/static/x%00/../../admin",
		"/admin",
		"/HEALTHZ",
	} {
		if len(Violations(rules, p)) == 0 {
			t.Errorf("%s reads as public however it is read", p)
		}
	}
	for _, p := range []string{"/healthz", "/static/app.css", "/static", "/assets", "/assets-x/y.js"} {
		if v := Violations(rules, p); len(v) != 0 {
			t.Errorf("%s is public, but the oracle reads it as %v", p, v)
		}
	}
}

func TestRemoveDotSegmentsFollowsRFC3986(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/a/b/c/./../../g": "/a/g",
		"/../a":            "/a",
		"/a/..":            "/",
		"/a/.":             "/a/",
		"/a/b/..":          "/a/",
		"/":                "/",
	} {
		if got := removeDotSegments(in); got != want {
			t.Errorf("removeDotSegments(%q) = %q, want %q", in, got, want)
		}
	}
}
