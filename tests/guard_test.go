package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPINAuthGuardsRespondAndFileServerInTheSameSite proves the directive
// order pin_auth registers (right after basic_auth): Caddy sorts a site's
// directives by that order, not by where they are written, so pin_auth runs
// before respond and file_server even when file_server is written first.
func TestPINAuthGuardsRespondAndFileServerInTheSameSite(t *testing.T) {
	t.Parallel()
	const secretFile = "contents of a private file"
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "secret.txt"), []byte(secretFile), 0o600); err != nil {
		t.Fatal(err)
	}
	respondSite := newSite(t, "\trespond \"secret\" 200")
	fileSite := newSite(t, "")
	fileSite.Before = "\troot * " + root + "\n\tfile_server"
	proc := startCaddy(t, caddyfile(t, respondSite, fileSite), []string{
		baseURL(respondSite.Port) + "/.well-known/jwks.json",
		baseURL(fileSite.Port) + "/.well-known/jwks.json",
	})

	cases := []struct {
		name, path, secret string
		site               siteConfig
	}{
		{"respond", "/anything", "secret", respondSite},
		{"file_server", "/secret.txt", secretFile, fileSite},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := &gateway{t: t, proc: proc, site: c.site, base: baseURL(c.site.Port), log: &responseLog{}}
			r := g.protected(c.path, "")
			r.wantError(t, 401, 1060)
			if strings.Contains(r.raw, c.secret) {
				t.Fatalf("the guarded content was served without a token: %s", r.raw)
			}
			r = g.protected(c.path, "not-a-token")
			r.wantError(t, 401, 905)
			if strings.Contains(r.raw, c.secret) {
				t.Fatalf("the guarded content was served with a bad token: %s", r.raw)
			}

			login, _ := g.loggedIn()
			r = g.protected(c.path, login.str("access_token"))
			if r.status != 200 || r.raw != c.secret {
				t.Fatalf("with a token: want 200 %q, got %d %q", c.secret, r.status, r.raw)
			}
		})
	}
}
