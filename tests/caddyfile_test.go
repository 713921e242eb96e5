package tests

import (
	"path/filepath"
	"strings"
	"testing"
	"text/template"
)

// Tenants and secrets of the generated Caddyfiles.
const (
	apiKey        = "e2e-api-key"
	apiSecret     = "e2e-api-secret-0123"
	expiredKey    = "e2e-expired-key"
	expiredSecret = "e2e-expired-secret"
	pepper        = "e2e-pepper-0123456789abcdef"
	issuer        = "https://gateway.e2e.test"
	tenantName    = "demo"
)

// cheapHash keeps every test but the seed test fast: one pass over 1 MiB
// costs well under a millisecond, where the production default (time 3,
// 19456 KiB) costs about 29 ms per hash. The seed test runs the default.
const cheapHash = "hash argon2id 1 1024 1"

// siteConfig is one site of a generated Caddyfile: pin_auth with the demo
// tenant (and a tenant whose plan expired in 2020) in front of Then.
type siteConfig struct {
	Port int
	// DB is the SQLite file, given explicitly so each test has its own.
	DB string
	// Store, when set, replaces the `store sqlite <DB>` line (a cluster
	// test's `store postgres …` block).
	Store string
	// Hash is a `hash …` line, or "" for the production default.
	Hash string
	// Extra are more pin_auth subdirectives, one per line.
	Extra string
	// TenantExtra are more subdirectives of the demo tenant.
	TenantExtra string
	// Before goes before pin_auth in the site block and Then after it.
	Before, Then string
}

var siteTemplate = template.Must(template.New("site").Parse(`
:{{.Port}} {
{{.Before}}
	pin_auth {
		tenant ` + tenantName + ` {
			api_key ` + apiKey + `
			api_secret ` + apiSecret + `
			{{.TenantExtra}}
		}
		tenant expired {
			api_key ` + expiredKey + `
			api_secret ` + expiredSecret + `
			plan_expires 2020-01-01T00:00:00Z
		}
		{{if .Store}}{{.Store}}{{else}}store sqlite {{.DB}}{{end}}
		pepper ` + pepper + `
		issuer ` + issuer + `
		{{.Hash}}
		{{.Extra}}
	}
{{.Then}}
}
`))

// globalOptions keep each child to itself: no admin endpoint (so no port
// to clash on), no automatic HTTPS, nothing autosaved, loopback only.
const globalOptions = `{
	admin off
	persist_config off
	auto_https off
	default_bind 127.0.0.1
}
`

// caddyfile renders the global options and the sites.
func caddyfile(t *testing.T, sites ...siteConfig) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(globalOptions)
	for _, s := range sites {
		if err := siteTemplate.Execute(&b, s); err != nil {
			t.Fatal(err)
		}
	}
	// Drop the blank lines empty fields leave, so Caddy does not warn
	// that the input is not formatted.
	var lines []string
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// newSite returns a site on a free port with its own SQLite file in a
// per-test directory, cheap hashing and then as its handler.
func newSite(t *testing.T, then string) siteConfig {
	t.Helper()
	return siteConfig{
		Port: freePort(t),
		DB:   filepath.Join(t.TempDir(), "pinauth.db"),
		Hash: cheapHash,
		Then: then,
	}
}
