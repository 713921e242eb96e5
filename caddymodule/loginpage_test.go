package caddymodule

import (
	"reflect"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/pinauth/caddy-pinauth/pinauth/loginpage"
)

func TestCaddyfileLoginPageAndCookie(t *testing.T) {
	t.Parallel()
	wrap := func(body string) string {
		return "pin_auth {\ntenant demo {\napi_key k\napi_secret s\n}\npepper p\n" + body + "\n}"
	}
	ok := []struct {
		name   string
		body   string
		page   *LoginPage
		cookie *Cookie
	}{
		{"bare", "login_page", &LoginPage{}, nil},
		{"path", "login_page /signin", &LoginPage{Path: "/signin"}, nil},
		{"block", "login_page /auth/login {\ntenant demo\ntemplate_dir /etc/caddy/login\n}",
			&LoginPage{Path: "/auth/login", Tenant: "demo", TemplateDir: "/etc/caddy/login"}, nil},
		{"brand", "login_page {\nproduct_name \"Acme Books\"\nlogo_url /login/assets/logo.svg\naccent_color 0b5fff\nsupport_url https://help.example.com\ntext de button.login Einloggen\ntext de title.login \"Bei Acme anmelden\"\n}",
			&LoginPage{ProductName: "Acme Books", LogoURL: "/login/assets/logo.svg", AccentColor: "0b5fff", SupportURL: "https://help.example.com",
				Text: map[string]map[string]string{"de": {"button.login": "Einloggen", "title.login": "Bei Acme anmelden"}}}, nil},
		{"cookie", "login_page\ncookie {\nname sso\ndomain example.com\ninsecure\n}",
			&LoginPage{}, &Cookie{Name: "sso", Domain: "example.com", Insecure: true}},
	}
	for _, tc := range ok {
		var h Handler
		if err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(wrap(tc.body))); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !reflect.DeepEqual(h.LoginPage, tc.page) || !reflect.DeepEqual(h.Cookie, tc.cookie) {
			t.Errorf("%s: got %+v %+v, want %+v %+v", tc.name, h.LoginPage, h.Cookie, tc.page, tc.cookie)
		}
	}
	bad := []struct{ name, body, want string }{
		{"relative path", "login_page login", "login_page: path"},
		{"root path", "login_page /", "login_page: path"},
		{"two paths", "login_page /a /b", "login_page: want at most one path"},
		{"twice", "login_page\nlogin_page", "login_page: given more than once"},
		{"unknown in block", "login_page {\ncolour blue\n}", "login_page: unknown subdirective"},
		{"tenant twice", "login_page {\ntenant a\ntenant b\n}", "login_page: tenant: given more than once"},
		{"template_dir without value", "login_page {\ntemplate_dir\n}", "template_dir: want exactly one value"},
		{"text with two values", "login_page {\ntext de button.login\n}", "text: want <lang> <key> <text>"},
		{"text twice", "login_page {\ntext de button.login A\ntext de button.login B\n}", "text de button.login: given more than once"},
		{"product_name twice", "login_page {\nproduct_name A\nproduct_name B\n}", "product_name: given more than once"},
		{"cookie with values", "login_page\ncookie sso", "cookie: takes a block"},
		{"cookie unknown", "login_page\ncookie {\nsecure\n}", "cookie: unknown subdirective"},
		{"insecure with a value", "login_page\ncookie {\ninsecure true\n}", "insecure: takes no value"},
		{"name twice", "login_page\ncookie {\nname a\nname b\n}", "cookie: name: given more than once"},
	}
	for _, tc := range bad {
		var h Handler
		err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(wrap(tc.body)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: want an error containing %q, got %v", tc.name, tc.want, err)
		}
	}
}

func TestCoreConfigConvertsLoginPageAndCookie(t *testing.T) {
	t.Setenv("TEST_PINAUTH_TEMPLATES", "/srv/branding")
	h := Handler{
		Tenants:   []Tenant{{Name: "demo", APIKeys: []string{"k"}, APISecret: "s"}},
		Peppers:   []string{"pepper-0123456789abcdef"},
		LoginPage: &LoginPage{Path: "/signin", Tenant: "demo", TemplateDir: "{env.TEST_PINAUTH_TEMPLATES}"},
		Cookie:    &Cookie{Name: "sso", Domain: "example.com", Insecure: true},
	}
	if err := h.Validate(); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := h.coreConfig(caddy.NewReplacer())
	if err != nil {
		t.Fatal(err)
	}
	want := &loginpage.Config{Path: "/signin", Tenant: "demo", TemplateDir: "/srv/branding",
		Cookie: loginpage.Cookie{Name: "sso", Domain: "example.com", Insecure: true}}
	if !reflect.DeepEqual(cfg.LoginPage, want) {
		t.Fatalf("LoginPage = %+v, want %+v", cfg.LoginPage, want)
	}

	h.LoginPage = nil
	if cfg, _, _ := h.coreConfig(caddy.NewReplacer()); cfg.LoginPage != nil {
		t.Fatal("no login_page still produced a login page")
	}
	if err := h.Validate(); err == nil || !strings.Contains(err.Error(), "add login_page") {
		t.Fatalf("cookie without login_page: %v", err)
	}
}
