package tests

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/tests/appguide/auth"
)

// appGuideBlock returns the app guide's code block after the heading.
func appGuideBlock(t *testing.T, heading, lang string) string {
	t.Helper()
	b, err := os.ReadFile("../docs/app-guide.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)### " + regexp.QuoteMeta(heading) + "\n\n```" + lang + "\n(.*?)```\n").FindSubmatch(b)
	if m == nil {
		t.Fatalf("the app guide has no %s block under %q", lang, heading)
	}
	return string(m[1])
}

func TestAppGuideGoExampleVerifiesARealToken(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("appguide/auth/auth.go")
	if err != nil {
		t.Fatal(err)
	}
	_, pkg, _ := strings.Cut(string(src), "\npackage ")
	if want := appGuideBlock(t, "Go", "go"); "package "+pkg != want {
		t.Fatal("tests/appguide/auth/auth.go differs from the app guide's Go example: copy the guide's block into it")
	}

	g := startGateway(t)
	login, uid := g.loggedIn()
	token := login.str("access_token")
	keys, err := auth.Keys(g.base + "/.well-known/jwks.json")
	if err != nil || len(keys) == 0 {
		t.Fatalf("Keys: %v (%d keys)", err, len(keys))
	}
	got, err := auth.Verify(token, keys, issuer, tenantName)
	if err != nil || got != uid {
		t.Fatalf("Verify = %q, %v; want %q", got, err, uid)
	}
	for name, check := range map[string]func() error{
		"another tenant":  func() error { _, err := auth.Verify(token, keys, issuer, "other"); return err },
		"another issuer":  func() error { _, err := auth.Verify(token, keys, "https://evil.test", tenantName); return err },
		"a changed claim": func() error { _, err := auth.Verify(tamper(token), keys, issuer, tenantName); return err },
	} {
		if check() == nil {
			t.Errorf("the guide's Verify accepted %s", name)
		}
	}

}

// tamper returns token with its subject changed and the signature kept.
func tamper(token string) string {
	parts := strings.Split(token, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	_ = json.Unmarshal(payload, &claims)
	claims["sub"] = "someone-else"
	payload, _ = json.Marshal(claims)
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}
