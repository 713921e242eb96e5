package tests

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// nginxPath is Debian's nginx, which .ci/run installs.
const nginxPath = "/usr/sbin/nginx"

// requireNginx skips on a developer's machine without nginx, and fails in
// CI, where .ci/run installs it.
func requireNginx(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(nginxPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing: .ci/run must install it (apt-get install -y nginx)", nginxPath)
		}
		t.Skipf("%s is missing: install it with apt-get install -y nginx to run the nginx tests", nginxPath)
	}
}

// nginxMain wraps a server block: one foreground process as the current
// user (master_process off, so no worker switches to another user), every
// file in the test's directory, errors on standard error.
const nginxMain = `daemon off;
master_process off;
pid {{dir}}/nginx.pid;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path {{dir}}/client_body;
    proxy_temp_path {{dir}}/proxy;
    fastcgi_temp_path {{dir}}/fastcgi;
    uwsgi_temp_path {{dir}}/uwsgi;
    scgi_temp_path {{dir}}/scgi;
    include {{dir}}/app.conf;
}
`

// startNginx runs the guide's nginx server block in front of app (host:port)
// asking the gateway gw, and returns nginx's base URL. nginx stops when the
// test ends; its output is shown when the test fails.
func startNginx(t *testing.T, gw *gateway, app string) string {
	t.Helper()
	requireNginx(t)
	port := freePort(t)
	dir := t.TempDir()
	server := fromGuide(t, authGuideBlock(t, "nginx", "nginx"),
		"listen 80;", "listen 127.0.0.1:"+strconv.Itoa(port)+";",
		guideApp, app, guideGateway, gw.hostHeader())
	files := map[string]string{
		"app.conf":   server,
		"nginx.conf": strings.ReplaceAll(nginxMain, "{{dir}}", dir),
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	logs := &syncBuffer{}
	cmd := exec.Command(nginxPath, "-p", dir+"/", "-c", filepath.Join(dir, "nginx.conf"), "-e", "stderr")
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start nginx: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("nginx output:\n%s", logs)
		}
	})
	addr := "127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(startTimeout())
	for {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "http://" + addr
		}
		select {
		case err := <-done:
			t.Fatalf("nginx exited before serving: %v\n%s", err, logs)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx did not listen on %s within %s\n%s", addr, startTimeout(), logs)
		}
	}
}

// TestNginxAuthRequestLetsOnlyValidTokensThroughWithTheirIdentity runs the
// guide's nginx configuration in front of a recording app: see
// checkAuthProxy.
func TestNginxAuthRequestLetsOnlyValidTokensThroughWithTheirIdentity(t *testing.T) {
	requireNginx(t)
	t.Parallel()
	gw := startAuthGateway(t, "public "+strings.Join(corpusPublic, " "))
	app := newUpstream(t)
	checkAuthProxy(t, gw, gw.through(startNginx(t, gw, app.addr()), app))
}

// TestNginxAuthRequestPassesNoCorpusPathAnonymouslyThatIsNotPublic sends
// the path-confusion corpus through the guide's nginx.
func TestNginxAuthRequestPassesNoCorpusPathAnonymouslyThatIsNotPublic(t *testing.T) {
	requireNginx(t)
	t.Parallel()
	gw := startAuthGateway(t, "public "+strings.Join(corpusPublic, " "))
	raw := newRawUpstream(t)
	front := startNginx(t, gw, raw.addr())
	checkCorpusThroughProxy(t, strings.TrimPrefix(front, "http://"), raw)
}

// TestNginxAuthRequestLogsABrowserInThroughTheLoginPage drives Chromium
// through the guide's nginx: a protected page sends it to the login page,
// the password and a new PIN log it in, and it is back at the page it
// asked for, which the app serves with its identity; later, a browser
// with only the PIN-device cookie logs in on the PIN pad the same way.
func TestNginxAuthRequestLogsABrowserInThroughTheLoginPage(t *testing.T) {
	requireNginx(t)
	requireChromium(t)
	t.Parallel()
	gw := startAuthGateway(t, "")
	uid := gw.createAccount("")
	app := newUpstream(t)
	front := startNginx(t, gw, app.addr())
	b := loginThroughProxy(t, front, app, uid)
	tab := b.ctx

	device := b.cookie(browserPINCookie)
	if device == nil {
		t.Fatalf("no %s cookie after the first login through nginx", browserPINCookie)
	}
	other, cancelOther := chromedp.NewContext(tab, chromedp.WithNewBrowserContext())
	defer cancelOther()
	yes := true
	if _, err := chromedp.Call(other, network.SetCookie, network.SetCookieParams{
		Name: device.Name, Value: device.Value, URL: front + "/", Path: "/",
		HTTPOnly: &yes, Secure: &yes, SameSite: network.CookieSameSiteLax,
	}); err != nil {
		t.Fatalf("set the PIN-device cookie: %v", err)
	}
	pad := &chrome{t: t, ctx: other, base: front, dir: b.dir}
	pad.run(chromedp.Navigate(front + "/app/report"))
	pad.waitURL("/login?return=%2Fapp%2Freport")
	pad.run(chromedp.WaitVisible(chromedp.CSS(".keypad")))
	// Tap the digits on the keypad: the last one submits the form.
	for _, d := range pin {
		pad.run(chromedp.Click(chromedp.CSS(`.keypad button[data-digit="` + string(d) + `"]`)))
	}
	pad.waitURL("/app/report")
	pad.waitText("body", upstreamBody)
	if n := appSaw(t, app.requests(), "/app/report", "", uid); n != 1 {
		t.Fatalf("the app saw /app/report %d times after the PIN login, want once", n)
	}
}

// loginThroughProxy opens Chromium at the proxy front, which sends it to
// the login page; the password and a new PIN log the test account (uid,
// without a PIN) in, and the browser is back at the page it asked for,
// which the app served with uid's identity. The browser lives until the
// test ends.
func loginThroughProxy(t *testing.T, front string, app *upstream, uid string) *chrome {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	tab, stop := newChromium(ctx, t)
	t.Cleanup(stop)
	b := &chrome{t: t, ctx: tab, base: front, dir: t.TempDir()}
	b.run(chromedp.Navigate(front + "/app/data?x=1"))
	b.waitURL("/login?return=%2Fapp%2Fdata%3Fx%3D1")
	b.firstLogin()
	b.waitURL("/app/data?x=1")
	b.waitText("body", upstreamBody)
	if n := appSaw(t, app.requests(), "/app/data", "x=1", uid); n != 1 {
		t.Fatalf("the app saw /app/data?x=1 %d times, want once", n)
	}
	return b
}

// appSaw counts the requests for path and query among reqs, failing the
// test when one lacks uid's identity or any request carries the
// gateway's cookies.
func appSaw(t *testing.T, reqs []recorded, path, query, uid string) int {
	t.Helper()
	n := 0
	for _, r := range reqs {
		if c := r.Header.Get("Cookie"); strings.Contains(c, "pinauth") {
			t.Fatalf("the gateway's cookies reached the app: %q", c)
		}
		if r.Path == path && r.RawQuery == query {
			n++
			if got := r.Header.Get("X-Auth-Uid"); got != uid {
				t.Fatalf("the app's X-Auth-Uid for %s = %q, want %s", path, got, uid)
			}
		}
	}
	return n
}

// TestNginxAuthRequestRenewsAnExpiredBrowserSessionWithoutStopping logs
// Chromium in through the guide's nginx with 3-second access tokens and
// keeps opening a page until its access token has expired: that request
// goes through the login page, which renews the session (a new session
// cookie) and sends the browser straight back to the page, never stopping
// at a form.
func TestNginxAuthRequestRenewsAnExpiredBrowserSessionWithoutStopping(t *testing.T) {
	requireNginx(t)
	requireChromium(t)
	t.Parallel()
	gw := startAuthGateway(t, "access_ttl 3s")
	uid := gw.createAccount("")
	app := newUpstream(t)
	b := loginThroughProxy(t, startNginx(t, gw, app.addr()), app, uid)
	first := b.cookie(browserSessionCookie)
	if first == nil {
		t.Fatalf("no %s cookie after the login", browserSessionCookie)
	}
	deadline := time.Now().Add(30 * time.Second)
	for n := 1; ; n++ {
		b.run(chromedp.Navigate(b.base + "/app/later"))
		b.waitURL("/app/later")
		b.waitText("body", upstreamBody)
		if c := b.cookie(browserSessionCookie); c != nil && c.Value != first.Value {
			t.Logf("renewed on visit %d", n)
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the session cookie was never renewed, though its access token lives 3s")
		}
	}
	if n := appSaw(t, app.requests(), "/app/later", "", uid); n == 0 {
		t.Fatal("the app never saw /app/later")
	}
}
