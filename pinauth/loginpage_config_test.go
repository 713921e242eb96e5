package pinauth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/loginpage"
)

func TestLoginPageTemplatesAndAssetsOverridableFromDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("login.html", `{{define "content"}}<p>ACME sign-in</p><form method="post" action="{{.Path}}">`+
		`<input type="hidden" name="csrf" value="{{.CSRF}}"></form>{{end}}`)
	write("style.css", "body{background:#123}")
	write("logo.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>")
	write("notes.txt", "not an asset")
	e := newTestEnv(t, withLoginPage(func(lp *loginpage.Config) { lp.TemplateDir = dir }))
	b := newBrowser(t, e)

	p := b.get("/login")
	if !strings.Contains(p.body, "ACME sign-in") || !strings.Contains(p.body, `<h1 id="title">Log in</h1>`) {
		t.Fatalf("the override did not replace login.html inside the embedded layout: %s", p.body)
	}
	if css := b.get("/login/assets/style.css"); css.body != "body{background:#123}" || !strings.HasPrefix(css.header.Get("Content-Type"), "text/css") {
		t.Fatalf("style.css override: %q %s", css.body, css.header.Get("Content-Type"))
	}
	if logo := b.get("/login/assets/logo.svg"); logo.status != 200 || !strings.Contains(logo.body, "<svg") {
		t.Fatalf("extra asset: %d", logo.status)
	}
	if txt := b.get("/login/assets/notes.txt"); txt.status != 404 {
		t.Fatalf("a .txt file was served as an asset: %d", txt.status)
	}
	if js := b.get("/login/assets/app.js"); js.status != 200 || !strings.Contains(js.body, "pin-form") {
		t.Fatalf("embedded app.js not served next to the overrides: %d", js.status)
	}

	write("pin.html", `{{define "nothing"}}{{end}}`)
	if _, err := New(e.cfg); err == nil || !strings.Contains(err.Error(), "pin.html") {
		t.Fatalf("a template without content: want an error naming pin.html, got %v", err)
	}
}

func TestLoginPageConfigIsValidated(t *testing.T) {
	t.Parallel()
	st := newTestEnv(t).store
	cases := map[string]func(*loginpage.Config){
		"root path":          func(lp *loginpage.Config) { lp.Path = "/" },
		"path under the API": func(lp *loginpage.Config) { lp.Path = "/identity/v2/login" },
		"relative path":      func(lp *loginpage.Config) { lp.Path = "login" },
		"wildcard path":      func(lp *loginpage.Config) { lp.Path = "/login*" },
		"unknown tenant":     func(lp *loginpage.Config) { lp.Tenant = "nobody" },
		"bad cookie name":    func(lp *loginpage.Config) { lp.Cookie.Name = "a b" },
		"prefixed name":      func(lp *loginpage.Config) { lp.Cookie.Name = "__Host-x" },
		"bad domain":         func(lp *loginpage.Config) { lp.Cookie.Domain = "a;b" },
		"missing dir":        func(lp *loginpage.Config) { lp.TemplateDir = "/nonexistent/templates" },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := Config{
				Tenants: []Tenant{{Name: "demo", APIKeys: []string{testKey}, APISecret: testSecret}},
				Store:   st, Peppers: []string{testPepper}, Issuer: testIssuer, Hash: cheapHash,
			}
			withLoginPage(mutate)(&cfg)
			if gw, err := New(cfg); err == nil {
				gw.Close()
				t.Fatal("New accepted the config")
			}
		})
	}
}

func TestLoginPageLogsIntoTheConfiguredTenant(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withLoginPage(func(lp *loginpage.Config) { lp.Tenant = "other" }))
	e.createAccount(testEmail, testPIN) // in tenant demo
	b := newBrowser(t, e)
	if r := b.passwordLogin("", testEmail, testPass); r.status != 401 {
		t.Fatalf("an account of another tenant logged in through the page: %d", r.status)
	}
	r := e.do("POST", "/identity/v2/manage/account?apikey="+otherKey+"&apisecret="+otherSecret, map[string]any{
		"Email": []map[string]string{{"Type": "Primary", "Value": testEmail}}, "Password": testPass,
		"PINInfo": map[string]string{"PIN": testPIN},
	})
	if r.status != 200 {
		t.Fatalf("create account in other: %d %s", r.status, r.raw)
	}
	if r := b.passwordLogin("", testEmail, testPass); r.status != 303 {
		t.Fatalf("account of the page's tenant: %d %q", r.status, r.alert())
	}
	if p := b.get("/app/data"); p.status != 200 {
		t.Fatalf("protected page: %d", p.status)
	}
	if got := e.upstream.calls()[0].Get("X-Auth-Tenant"); got != "other" {
		t.Fatalf("upstream X-Auth-Tenant = %q, want other", got)
	}
}
