package loginpage

import (
	"net/http"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
)

// newTestPage builds a page at /login for the tenant demo, allowed to
// return to origins. Its core is nil: the tests using it never log in.
func newTestPage(t testing.TB, origins ...string) *Page {
	t.Helper()
	cfg, err := Config{}.WithDefaults([]string{"demo"}, func(string) bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(Options{
		Config: cfg, Tenant: Tenant{Name: "demo", AllowedOrigins: origins, PINMinLength: 4, PINMaxLength: 8},
		Peppers: secret.NewPeppers([]string{"a test pepper of enough length"}), SessionTTL: time.Hour,
		Log: zap.NewNop(), Now: time.Now, ClientIP: func(r *http.Request) string { return r.RemoteAddr },
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}
