package pinauth

import (
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/loginpage"
	"github.com/pinauth/caddy-pinauth/pinauth/store/sqlite"
)

// TestAFailedStartReleasesTheCaches starts gateways whose start fails after
// the caches exist and checks that no goroutine of those caches outlives
// New.
func TestAFailedStartReleasesTheCaches(t *testing.T) {
	t.Parallel()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "pinauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	failures := map[string]func(*Config){
		"login page templates": withLoginPage(func(lp *loginpage.Config) { lp.TemplateDir = "/nonexistent/templates" }),
		"message templates":    func(c *Config) { c.MessageTemplates = "/nonexistent/messages" },
	}
	for name, mutate := range failures {
		t.Run(name, func(t *testing.T) {
			cfg := Config{
				Tenants: []Tenant{{Name: "demo", APIKeys: []string{testKey}, APISecret: testSecret}},
				Store:   st, Peppers: []string{testPepper}, Issuer: testIssuer, Hash: cheapHash,
			}
			mutate(&cfg)
			if gw, err := New(cfg); err == nil {
				gw.Close()
				t.Fatal("New accepted the config")
			}
			if n := cacheGoroutinesStartedHere(5 * time.Second); n != 0 {
				t.Fatalf("a failed New left %d cache goroutines running", n)
			}
		})
	}
}

// cacheGoroutinesStartedHere counts the ristretto goroutines started by the
// calling goroutine, waiting up to limit for the count to reach zero: a
// closed cache's goroutines have answered Close but may not have returned
// yet, while a leaked cache's goroutines never end.
func cacheGoroutinesStartedHere(limit time.Duration) int {
	self := goroutineStacks(false)
	id, _, _ := strings.Cut(strings.TrimPrefix(self, "goroutine "), " ")
	mark := " in goroutine " + id + "\n"
	deadline := time.Now().Add(limit)
	for {
		n := 0
		for _, g := range strings.Split(goroutineStacks(true), "\n\n") {
			if strings.Contains(g, "\ncreated by github.com/dgraph-io/ristretto/") && strings.Contains(g+"\n", mark) {
				n++
			}
		}
		if n == 0 || time.Now().After(deadline) {
			return n
		}
		runtime.Gosched()
	}
}

// goroutineStacks is runtime.Stack's text for the calling goroutine or for
// all of them.
func goroutineStacks(all bool) string {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, all)
		if n < len(buf) {
			return string(buf[:n])
		}
		buf = make([]byte, 2*len(buf))
	}
}
