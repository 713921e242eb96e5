package loginpage

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
)

func TestBrandIsCheckedAndShownInTitleHeadingColourAndFooter(t *testing.T) {
	t.Parallel()
	for _, bad := range []Brand{
		{AccentColor: "red"}, {AccentColor: "#12345"}, {AccentColor: "#1234567"}, {AccentColor: "#12g"},
		{LogoURL: "http://cdn.example.com/l.png"}, {LogoURL: "//cdn.example.com/l.png"}, {LogoURL: "logo.png"},
		{LogoURL: `/l.png"onerror=x`}, {SupportURL: "javascript:alert(1)"}, {SupportURL: "/help"},
	} {
		if err := (Config{Brand: bad}).Validate(); err == nil {
			t.Errorf("brand %+v accepted", bad)
		}
	}
	cfg, err := Config{Brand: Brand{ProductName: "Acme Books", LogoURL: "https://cdn.example.com/acme.svg",
		AccentColor: "0A7", SupportURL: "mailto:help@example.com"}}.WithDefaults([]string{"demo"}, func(string) bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Brand.AccentColor != "#0a7" {
		t.Fatalf("accent colour spelt %q, want #0a7", cfg.Brand.AccentColor)
	}
	p, err := New(Options{Config: cfg, Tenant: Tenant{Name: "demo", PINMinLength: 4, PINMaxLength: 8},
		Peppers: secret.NewPeppers([]string{"a test pepper of enough length"}), SessionTTL: time.Hour,
		Log: zap.NewNop(), Now: time.Now, ClientIP: func(*http.Request) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	p.ServeHTTP(w, httptest.NewRequest("GET", "/login", nil))
	body := w.Body.String()
	for _, want := range []string{"<title>Log in – Acme Books</title>", `<span class="product">Acme Books</span>`,
		`<img class="logo" src="https://cdn.example.com/acme.svg" alt="">`, `href="/login/assets/brand.css?v=`,
		`<a href="mailto:help@example.com">Need help? Contact support</a>`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %s:\n%s", want, body)
		}
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data: https://cdn.example.com;") {
		t.Errorf("the CSP does not allow the logo: %s", csp)
	}
	css := httptest.NewRecorder()
	p.ServeHTTP(css, httptest.NewRequest("GET", "/login/assets/brand.css", nil))
	if got := css.Body.String(); got != ":root { --accent: #00aa77; --accent-dark: #009065; }\n" {
		t.Errorf("brand.css = %q", got)
	}
}
