package tests

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
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
	db := filepath.Join(dir, "data", "caddy", "pinauth.db")
	if _, err := os.Stat(db); err != nil {
		t.Errorf("the SQLite file is not in Caddy's data directory: %v", err)
	}
	// The start-up log says where the store is, and warns once about each
	// secret still at its development default, naming the variable to set.
	logs := g.proc.Logs()
	if !strings.Contains(logs, `"msg":"store opened","backend":"sqlite","path":`+strconv.Quote(db)) {
		t.Errorf("the log does not say the store is %s:\n%s", db, logs)
	}
	warned := regexp.MustCompile(`"level":"warn".*"msg":"development default in use: set (\w+)"`).FindAllStringSubmatch(logs, -1)
	var vars []string
	for _, m := range warned {
		vars = append(vars, m[1])
	}
	if strings.Join(vars, " ") != "PINAUTH_PEPPER PINAUTH_API_SECRET" {
		t.Errorf("development-default warnings name %v, want PINAUTH_PEPPER and PINAUTH_API_SECRET once each", vars)
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

	t.Run("the login page is at /login and browsers are sent there", func(t *testing.T) {
		g := g.in(t)
		page := g.do("GET", "/login", nil, "Accept", "text/html")
		if page.status != 200 || !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") ||
			!strings.Contains(page.raw, `id="identifier"`) || !strings.Contains(page.raw, `id="password"`) {
			t.Fatalf("GET /login: %d %s\n%s", page.status, page.header.Get("Content-Type"), page.raw)
		}
		r := g.do("GET", "/hello", nil, "Accept", "text/html")
		if r.status != 303 || r.header.Get("Location") != "/login?return=%2Fhello" {
			t.Fatalf("a browser's GET /hello: %d, Location %q", r.status, r.header.Get("Location"))
		}
	})
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

// TestCaddyfileExampleTakesSecretsFromTheEnvironmentAndSavesNoneOfThem
// starts the example with its variables set, as in production: the
// gateway uses them (the development defaults no longer work), warns about
// no default, and neither Caddy's autosave.json nor `caddy adapt` holds
// any of them (adapt-time {$…} placeholders would write them there).
func TestCaddyfileExampleTakesSecretsFromTheEnvironmentAndSavesNoneOfThem(t *testing.T) {
	t.Parallel()
	secrets := map[string]string{
		"PINAUTH_API_KEY":    "key-" + rand.Text(),
		"PINAUTH_API_SECRET": "secret-" + rand.Text(),
		"PINAUTH_PEPPER":     "pepper-" + rand.Text(),
	}
	var env []string
	for name, value := range secrets {
		env = append(env, name+"="+value)
	}
	g, dir := startExample(t, true, env...)
	g.apiKey, g.apiSecret = secrets["PINAUTH_API_KEY"], secrets["PINAUTH_API_SECRET"]
	g.createAccount("")
	// The development defaults no longer open anything.
	account := map[string]any{"Email": []map[string]string{{"Type": "Primary", "Value": "b@example.com"}}, "Password": password}
	g.do("POST", apiPrefix+"/manage/account?apikey="+g.apiKey+"&apisecret="+exampleSecret, account).wantError(t, 401, 902)
	g.do("POST", apiPrefix+"/manage/account?apikey="+exampleKey+"&apisecret="+exampleSecret, account).wantError(t, 403, 901)
	if strings.Contains(g.proc.Logs(), "development default in use") {
		t.Errorf("the gateway warns of a development default with every variable set:\n%s", g.proc.Logs())
	}

	saved, err := os.ReadFile(filepath.Join(dir, "config", "caddy", "autosave.json"))
	if err != nil {
		t.Fatal(err)
	}
	example, err := filepath.Abs(filepath.Join("..", "Caddyfile.example"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := caddyCommand(dir, "adapt", "--config", example)
	cmd.Env = append(cmd.Env, env...)
	adapted, err := cmd.Output()
	if err != nil {
		t.Fatalf("caddy adapt: %v", err)
	}
	for what, text := range map[string][]byte{"autosave.json": saved, "caddy adapt": adapted} {
		if !bytes.Contains(text, []byte(`"handler":"pin_auth"`)) {
			t.Fatalf("%s holds no pin_auth handler:\n%s", what, text)
		}
		for name, value := range secrets {
			if bytes.Contains(text, []byte(value)) {
				t.Errorf("%s holds the value of %s", what, name)
			}
		}
	}
}

// startExample runs the repository's Caddyfile.example with no PINAUTH_*
// variable set (the child's environment is only its private HOME and XDG
// directories, plus env) and returns the gateway and the child's
// directory. When the example's ports (8080, 9000 and the admin endpoint's
// 2019) are free and no other test holds them it runs the file itself,
// unless ownPorts is set; otherwise it moves the gateway with PINAUTH_PORT
// and runs a copy with only the upstream's port changed.
func startExample(t *testing.T, ownPorts bool, env ...string) (*gateway, string) {
	t.Helper()
	example, err := filepath.Abs(filepath.Join("..", "Caddyfile.example"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	conf, gwPort := example, 8080
	env = append([]string(nil), env...)
	if ownPorts || !claimExamplePorts(t) {
		conf, gwPort, env = exampleOnOwnPorts(t, dir, env)
	}
	t.Logf("running %s with the gateway on port %d", conf, gwPort)
	g := &gateway{t: t, base: baseURL(gwPort), apiKey: exampleKey, apiSecret: exampleSecret, log: &responseLog{}}
	g.proc = startCaddyConfig(t, dir, conf, []string{g.base + "/.well-known/jwks.json"}, env...)

	return g, dir
}

// examplePorts is held by the one test of this process that runs the
// example on its own ports (8080, 9000 and the admin endpoint's 2019).
var examplePorts sync.Mutex

// claimExamplePorts reports whether t may run the example on its own
// ports: no other test of this process holds them and nothing else on the
// machine listens there. The claim lasts until t ends.
func claimExamplePorts(t *testing.T) bool {
	if !examplePorts.TryLock() {
		return false
	}
	if !portFree(":8080") || !portFree("127.0.0.1:9000") || !portFree("127.0.0.1:2019") {
		examplePorts.Unlock()
		return false
	}
	t.Cleanup(examplePorts.Unlock)
	return true
}

// exampleOnOwnPorts writes a copy of Caddyfile.example into dir whose demo
// upstream listens on a free port, and returns it with the gateway's port
// and env plus the variables that move the gateway (PINAUTH_PORT, as the
// README says) and the admin endpoint to free ports.
func exampleOnOwnPorts(t *testing.T, dir string, env []string) (string, int, []string) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "Caddyfile.example"))
	if err != nil {
		t.Fatal(err)
	}
	gwPort := freePort(t)
	up := strconv.Itoa(freePort(t))
	text := replaceOnce(t, string(src), "reverse_proxy 127.0.0.1:9000", "reverse_proxy 127.0.0.1:"+up)
	text = replaceOnce(t, text, ":9000 {", ":"+up+" {")
	conf := filepath.Join(dir, "Caddyfile.example")
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return conf, gwPort, append(env,
		"PINAUTH_PORT="+strconv.Itoa(gwPort),
		"CADDY_ADMIN=127.0.0.1:"+strconv.Itoa(freePort(t)))
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

// TestBrowserReachesTheExampleAppThroughItsLoginPage follows the README's
// first run in Chromium: the example started with no environment, an
// account added with `caddy pinauth user add` (password only), then a
// browser asking for the app is sent to the login page, signs in, chooses
// a PIN and lands on the demo upstream's echo of its identity.
func TestBrowserReachesTheExampleAppThroughItsLoginPage(t *testing.T) {
	requireChromium(t)
	t.Parallel()
	g, dir := startExample(t, true)
	example, err := filepath.Abs(filepath.Join("..", "Caddyfile.example"))
	if err != nil {
		t.Fatal(err)
	}
	add := caddyCommand(dir, "pinauth", "user", "add", "--config", example, "--email", email, "--first-name", "Alice")
	add.Stdin = strings.NewReader(password + "\n\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("caddy pinauth user add: %v\n%s", err, out)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	tab, stop := newChromium(ctx, t)
	defer stop()
	b := &chrome{t: t, ctx: tab, base: g.base, dir: t.TempDir()}
	b.run(chromedp.Navigate(g.base + "/"))
	b.waitURL("/login")
	b.firstLogin()
	b.waitURL("/")
	b.waitText("body", `"email":"`+email+`"`)
	b.waitText("body", `"tenant":"demo"`)
}
