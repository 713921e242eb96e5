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
// asked for, which the app serves with its identity.
func TestNginxAuthRequestLogsABrowserInThroughTheLoginPage(t *testing.T) {
	requireNginx(t)
	requireChromium(t)
	t.Parallel()
	gw := startAuthGateway(t, "")
	uid := gw.createAccount("")
	app := newUpstream(t)
	front := startNginx(t, gw, app.addr())

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	tab, stop := newChromium(ctx, t)
	defer stop()
	b := &chrome{t: t, ctx: tab, base: front, dir: t.TempDir()}
	b.run(chromedp.Navigate(front + "/app/data?x=1"))
	b.waitURL("/login?return=%2Fapp%2Fdata%3Fx%3D1")
	b.run(
		chromedp.WaitVisible(chromedp.ID("identifier")),
		chromedp.SendKeys(chromedp.ID("identifier"), email),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("confirm")),
		chromedp.SendKeys(chromedp.ID("pin"), pin),
		chromedp.SendKeys(chromedp.ID("confirm"), pin),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
	)
	b.waitURL("/app/data?x=1")
	b.waitText("body", upstreamBody)
	seen := false
	for _, r := range app.requests() {
		if c := r.Header.Get("Cookie"); strings.Contains(c, "pinauth") {
			t.Fatalf("the gateway's cookies reached the app through nginx: %q", c)
		}
		if r.Path == "/app/data" && r.RawQuery == "x=1" {
			seen = true
			if got := r.Header.Get("X-Auth-Uid"); got != uid {
				t.Fatalf("the app's X-Auth-Uid = %q, want %s", got, uid)
			}
		}
	}
	if !seen {
		t.Fatal("the app never saw /app/data?x=1")
	}
}
