package loginpage

import "testing"

// TestValidateChecksWhatNeedsNoGateway: the path and the cookie are
// checked on their own (caddymodule calls this before the gateway
// exists); WithDefaults refuses the same configs.
func TestValidateChecksWhatNeedsNoGateway(t *testing.T) {
	t.Parallel()
	if err := (Config{}).Validate(); err != nil {
		t.Fatalf("the default config: %v", err)
	}
	for name, c := range map[string]Config{
		"relative path":   {Path: "login"},
		"root path":       {Path: "//"},
		"wildcard path":   {Path: "/login*"},
		"bad cookie name": {Cookie: Cookie{Name: "a b"}},
		"prefixed name":   {Cookie: Cookie{Name: "__Host-x"}},
		"bad domain":      {Cookie: Cookie{Domain: "a;b"}},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%s: Validate accepted %+v", name, c)
		}
		if _, err := c.WithDefaults([]string{"demo"}, func(string) bool { return false }); err == nil {
			t.Errorf("%s: WithDefaults accepted %+v", name, c)
		}
	}
}
