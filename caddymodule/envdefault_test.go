package caddymodule

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	zapobserver "go.uber.org/zap/zaptest/observer"
)

func TestEnvPlaceholdersWithDefaultsExpandOnceAndFallBackOnlyWhenUnsetOrEmpty(t *testing.T) {
	file := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(file, []byte("from-a-file"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ENVDEF_SET", "from-env")
	t.Setenv("ENVDEF_EMPTY", "")
	t.Setenv("ENVDEF_TRICK", "{file."+file+"}")
	t.Setenv("ENVDEF_UNSET", "")
	os.Unsetenv("ENVDEF_UNSET")
	for _, c := range []struct{ in, want, err string }{
		{in: "{env.ENVDEF_SET:dev}", want: "from-env"},
		{in: "{env.ENVDEF_UNSET:dev-default}", want: "dev-default"},
		{in: "{env.ENVDEF_EMPTY:dev-default}", want: "dev-default"},
		{in: "a-{env.ENVDEF_UNSET:b}-{env.ENVDEF_SET}-{file." + file + "}", want: "a-b-from-env-from-a-file"},
		// A value is never expanded again.
		{in: "{env.ENVDEF_TRICK:x}", want: "{file." + file + "}"},
		{in: "{env.ENVDEF_TRICK}", want: "{file." + file + "}"},
		// Defaults may hold colons (a URL, a DSN).
		{in: "{env.ENVDEF_UNSET:postgres://u@h:5432/d}", want: "postgres://u@h:5432/d"},
		{in: "no placeholder", want: "no placeholder"},
		{in: `\{env.ENVDEF_UNSET:x}`, want: "{env.ENVDEF_UNSET:x}"},
		{in: "{env.ENVDEF_UNSET}", err: "{env.ENVDEF_UNSET} is empty"},
		{in: "{env.ENVDEF_UNSET:}", err: "{env.ENVDEF_UNSET:} is empty, and so is its default"},
	} {
		t.Run(c.in, func(t *testing.T) {
			got, err := replaceWithEnvDefaults(caddy.NewReplacer(), c.in)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("got %q, %v; want an error containing %q", got, err, c.err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

// TestDevelopmentDefaultsInForceAreWarnedOnceEachWithTheVariableToSet
// lists which secrets fall back to the default of their placeholder: only
// those whose variable is unset, and only secrets (the api_key is public).
func TestDevelopmentDefaultsInForceAreWarnedOnceEachWithTheVariableToSet(t *testing.T) {
	t.Setenv("DEVDEF_SECRET_SET", "a-secret-from-the-environment")
	for _, name := range []string{"DEVDEF_PEPPER", "DEVDEF_SECRET", "DEVDEF_DSN", "DEVDEF_HOOK", "DEVDEF_KEY"} {
		t.Setenv(name, "")
		os.Unsetenv(name)
	}
	h := Handler{
		Tenants: []Tenant{
			{Name: "demo", APIKeys: []string{"{env.DEVDEF_KEY:demo-key}"}, APISecret: "{env.DEVDEF_SECRET:demo-secret-dev-only}",
				Webhooks: []Webhook{{URL: "http://127.0.0.1:1/hook", Secret: "{env.DEVDEF_HOOK:hook-secret-dev-only-0123456789}"}}},
			{Name: "shop", APIKeys: []string{"shop-key"}, APISecret: "{env.DEVDEF_SECRET_SET:dev-default-not-used}"},
		},
		Peppers: []string{"{env.DEVDEF_PEPPER:dev-only-pepper-0000}", "a-literal-older-pepper"},
		Store:   &Store{Backend: "postgres", DSN: "{env.DEVDEF_DSN:postgres://postgres@127.0.0.1/pinauth}"},
	}
	want := []devDefault{
		{setting: "pepper 1", variable: "DEVDEF_PEPPER"},
		{setting: `tenant "demo": api_secret`, variable: "DEVDEF_SECRET"},
		{setting: `tenant "demo": webhook secret`, variable: "DEVDEF_HOOK"},
		{setting: "store postgres DSN", variable: "DEVDEF_DSN"},
	}
	got := h.devDefaults(caddy.NewReplacer())
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("devDefaults = %+v\nwant %+v", got, want)
	}

	core, logs := zapobserver.New(zapcore.DebugLevel)
	warnDevDefaults(zap.New(core), got)
	entries := logs.All()
	if len(entries) != len(want) {
		t.Fatalf("%d log entries, want %d", len(entries), len(want))
	}
	for i, e := range entries {
		if e.Level != zapcore.WarnLevel || !strings.HasSuffix(e.Message, "set "+want[i].variable) ||
			e.ContextMap()["variable"] != want[i].variable || e.ContextMap()["setting"] != want[i].setting {
			t.Errorf("entry %d: %s %q %v", i, e.Level, e.Message, e.ContextMap())
		}
		if strings.Contains(e.Message+e.ContextMap()["setting"].(string), "dev-only") {
			t.Errorf("entry %d repeats the default's value: %q", i, e.Message)
		}
	}
}
