package tests

import (
	"bytes"
	"context"
	"flag"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// screenshots makes TestBrowser write its screenshots to docs/screenshots
// (go test ./tests -run TestBrowser -screenshots); without it they go to a
// temporary directory and are only checked.
var screenshots = flag.Bool("screenshots", false, "write the browser test's screenshots to docs/screenshots")

// chromiumPath is Debian's Chromium, installed by .ci/run.
const chromiumPath = "/usr/bin/chromium"

// requireChromium skips the test when Chromium is missing, unless it runs
// in CI (.ci/run sets CI and installs Chromium), where it fails instead.
func requireChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing: .ci/run must install it (apt-get install -y chromium)", chromiumPath)
		}
		t.Skipf("%s is missing: install it with apt-get install -y chromium to run the browser test", chromiumPath)
	}
}

// newChromium starts a headless Chromium for t and returns its first tab;
// cancel stops the browser. chromedp's defaults (headless, no first run,
// no background networking, no sync …) plus: Debian's Chromium, no
// sandbox (CI runs as root), a fresh profile, and nothing that reaches
// the network.
func newChromium(ctx context.Context, t *testing.T) (context.Context, context.CancelFunc) {
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(420, 640),
	)...)
	tab, cancelTab := chromedp.NewContext(alloc)
	return tab, func() {
		cancelTab()
		cancelAlloc()
	}
}

// chrome is one browser tab driven by chromedp.
type chrome struct {
	t    *testing.T
	ctx  context.Context
	base string
	dir  string
	// audited counts the page states audit checked.
	audited int
}

func (c *chrome) in(t *testing.T) *chrome {
	n := *c
	n.t = t
	return &n
}

func (c *chrome) run(actions ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	if err := chromedp.Do(c.ctx, actions...); err != nil {
		c.t.Fatalf("browser: %v", err)
	}
}

// waitURL waits until the tab shows base+path.
func (c *chrome) waitURL(path string) {
	c.t.Helper()
	want := c.base + path
	if !c.poll(`location.href === ` + jsString(want)) {
		c.t.Fatalf("the browser is at %q, want %q", c.eval(`location.href`), want)
	}
}

// waitFocus waits until the element sel matches has the keyboard focus.
func (c *chrome) waitFocus(sel string) {
	c.t.Helper()
	if !c.poll(`document.activeElement === document.querySelector(` + jsString(sel) + `)`) {
		c.t.Fatalf("%s does not have the focus: %s does", sel,
			c.eval(`(function(e){return e ? e.tagName + (e.id ? '#' + e.id : '') : 'nothing'})(document.activeElement)`))
	}
}

// fits fails unless the page is no wider than a screen of width px.
func (c *chrome) fits(what string, width int) {
	c.t.Helper()
	if over := c.eval(`String(document.documentElement.scrollWidth - window.innerWidth)`); over != "0" {
		c.t.Fatalf("%s is %spx wider than a %dpx screen", what, over, width)
	}
}

// waitText waits until the element's text contains want.
func (c *chrome) waitText(sel, want string) {
	c.t.Helper()
	q := `document.querySelector(` + jsString(sel) + `)`
	if !c.poll(`!!` + q + ` && ` + q + `.textContent.indexOf(` + jsString(want) + `) >= 0`) {
		c.t.Fatalf("%s does not say %q: it says %q", sel, want, c.eval(`(`+q+` || {}).textContent || ''`))
	}
}

// poll evaluates a JavaScript condition until it is true, for at most 20
// seconds. Errors while a page is being replaced (no document yet) count
// as false.
func (c *chrome) poll(cond string) bool {
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		if ok, err := chromedp.Run(c.ctx, chromedp.Evaluate[bool](cond)); err == nil && ok {
			return true
		}
		if time.Now().After(deadline) || c.ctx.Err() != nil {
			return false
		}
		<-tick.C
	}
}

// eval returns a JavaScript expression's value as a string, for messages.
func (c *chrome) eval(expr string) string {
	s, err := chromedp.Run(c.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return s
}

// shot saves a PNG of the viewport and checks it is one.
func (c *chrome) shot(name string) {
	c.t.Helper()
	buf, err := chromedp.Run(c.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		c.t.Fatalf("screenshot %s: %v", name, err)
	}
	if _, err := png.Decode(bytes.NewReader(buf)); err != nil {
		c.t.Fatalf("screenshot %s is not a PNG: %v", name, err)
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c.dir, name), buf, 0o644); err != nil {
		c.t.Fatal(err)
	}
}

// cookie returns the tab's cookie for the site with that name, or nil.
func (c *chrome) cookie(name string) *network.Cookie {
	c.t.Helper()
	res, err := chromedp.Call(c.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{c.base + "/"}})
	if err != nil {
		c.t.Fatalf("read cookies: %v", err)
	}
	for _, k := range res.Cookies {
		if k.Name == name {
			return k
		}
	}
	return nil
}

// firstLogin fills the login page's password form with the test account
// and, as an account without a PIN, chooses the test PIN.
func (c *chrome) firstLogin() {
	c.t.Helper()
	c.run(
		chromedp.WaitVisible(chromedp.ID("identifier")),
		chromedp.SendKeys(chromedp.ID("identifier"), email),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("confirm")),
		chromedp.SendKeys(chromedp.ID("pin"), pin),
		chromedp.SendKeys(chromedp.ID("confirm"), pin),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
	)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`).Replace(s) + "'"
}
