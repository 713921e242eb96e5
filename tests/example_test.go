package tests

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The example's development-only defaults, as README's walk-through uses
// them.
const (
	exampleKey    = "demo-key"
	exampleSecret = "demo-secret-dev-only"
)

// TestCaddyfileExampleStartsWithoutEnvAndItsUpstreamEchoesTheIdentity runs
// the repository's Caddyfile.example with no PINAUTH_* variable set (the
// child's environment is only its private HOME and XDG directories) and
// walks the README's path through it. When its ports (8080, 9000 and the
// admin endpoint's 2019) are free it runs the file itself; otherwise a
// copy with only those ports changed.
func TestCaddyfileExampleStartsWithoutEnvAndItsUpstreamEchoesTheIdentity(t *testing.T) {
	t.Parallel()
	g, dir := startExample(t, false)

	// `store sqlite` without a path: pinauth.db in Caddy's data directory.
	if _, err := os.Stat(filepath.Join(dir, "data", "caddy", "pinauth.db")); err != nil {
		t.Errorf("the SQLite file is not in Caddy's data directory: %v", err)
	}

	uid := g.createAccount("")
	r := g.passwordLogin()
	r.wantError(t, 403, 1243)
	pinAuthToken, _ := r.object("Data")["PINAuthToken"].(string)
	r = g.setPIN(pinAuthToken, pin)
	if r.status != 200 {
		t.Fatalf("set PIN: %d %s", r.status, r.raw)
	}
	login := g.pinLogin(r.str("session_token"), pin)
	if login.status != 200 {
		t.Fatalf("PIN login: %d %s", login.status, login.raw)
	}
	_, claims, _, _ := decodeJWT(t, login.str("access_token"))

	echo := echoed(t, g.protected("/hello", login.str("access_token")))
	want := map[string]string{
		"uid": uid, "tenant": "demo", "email": email, "username": username,
		"name": "Alice Smith", "roles": "user,admin", "session": claims["sid"].(string), "path": "/hello",
	}
	for k, v := range want {
		if echo[k] != v {
			t.Errorf("echoed %s = %q, want %q", k, echo[k], v)
		}
	}

	t.Run("without a token the app is unreachable", func(t *testing.T) {
		g := g.in(t)
		g.protected("/hello", "").wantError(t, 401, 1060)
	})
	t.Run("the public /healthz passes anonymously with forged headers removed", func(t *testing.T) {
		g := g.in(t)
		echo := echoed(t, g.protected("/healthz", "", "X-Auth-Uid", "attacker", "X-Auth-Roles", "admin"))
		if echo["uid"] != "" || echo["roles"] != "" || echo["path"] != "/healthz" {
			t.Fatalf("echo = %v, want no identity on /healthz", echo)
		}
	})
}

// startExample runs the repository's Caddyfile.example with no PINAUTH_*
// variable set (the child's environment is only its private HOME and XDG
// directories) and returns the gateway and the child's directory. When the
// example's ports (8080, 9000 and the admin endpoint's 2019) are free it
// runs the file itself, unless ownPorts is set; otherwise a copy with only
// those ports changed. Tests other than the first set ownPorts, so two
// examples never race for port 8080.
func startExample(t *testing.T, ownPorts bool) (*gateway, string) {
	t.Helper()
	example, err := filepath.Abs(filepath.Join("..", "Caddyfile.example"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	conf, gwPort, env := example, 8080, []string(nil)
	if ownPorts || !portFree(":8080") || !portFree("127.0.0.1:9000") || !portFree("127.0.0.1:2019") {
		src, err := os.ReadFile(example)
		if err != nil {
			t.Fatal(err)
		}
		gwPort = freePort(t)
		up := strconv.Itoa(freePort(t))
		text := replaceOnce(t, string(src), ":8080 {", ":"+strconv.Itoa(gwPort)+" {")
		text = replaceOnce(t, text, "reverse_proxy 127.0.0.1:9000", "reverse_proxy 127.0.0.1:"+up)
		text = replaceOnce(t, text, ":9000 {", ":"+up+" {")
		conf = filepath.Join(dir, "Caddyfile")
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		env = []string{"CADDY_ADMIN=127.0.0.1:" + strconv.Itoa(freePort(t))}
	}
	t.Logf("running %s with the gateway on port %d", conf, gwPort)
	g := &gateway{t: t, base: baseURL(gwPort), apiKey: exampleKey, apiSecret: exampleSecret, log: &responseLog{}}
	g.proc = startCaddyConfig(t, dir, conf, []string{g.base + "/.well-known/jwks.json"}, env...)

	return g, dir
}

// echoed decodes the example upstream's echo of the identity headers.
func echoed(t *testing.T, r response) map[string]string {
	t.Helper()
	var m map[string]string
	if r.status != 200 || json.Unmarshal([]byte(r.raw), &m) != nil {
		t.Fatalf("the demo upstream did not answer with its JSON echo: %d %s", r.status, r.raw)
	}
	return m
}

// replaceOnce replaces old, which must occur exactly once: if the example
// changes shape, the test says so instead of running something else.
func replaceOnce(t *testing.T, s, old, new string) string {
	t.Helper()
	if n := strings.Count(s, old); n != 1 {
		t.Fatalf("Caddyfile.example: %q occurs %d times, want once", old, n)
	}
	return strings.Replace(s, old, new, 1)
}
