package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/pinauth/caddy-pinauth/pinauth/notifytest"
)

// axe-core, as .ci/run installs it: npm's axe-core in a folder outside the
// repository, named by PINAUTH_AXE_CORE (default defaultAxeCore).
const defaultAxeCore = "/tmp/pinauth-axe-core/node_modules/axe-core"

// requireAxe returns axe.min.js, skipping the test when it is missing,
// unless in CI (.ci/run installs it), where it fails.
func requireAxe(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("PINAUTH_AXE_CORE")
	if dir == "" {
		dir = defaultAxeCore
	}
	b, err := os.ReadFile(filepath.Join(dir, "axe.min.js"))
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the accessibility test needs axe-core; .ci/run must install it: %v", err)
		}
		t.Skipf("axe-core is missing (%v): install it with npm as .ci/run does", err)
	}
	return string(b)
}

// axeViolation is one rule an element breaks, as axe reports it.
type axeViolation struct {
	ID, Impact, Help string
	Nodes            []struct{ Target []any }
}

// audit runs axe-core on the tab's page with the WCAG 2.0 and 2.1 A and
// AA rules and fails on any violation, naming the state audited.
func (c *chrome) audit(axe, state string) {
	c.t.Helper()
	for _, v := range c.violations(axe, state) {
		var where []string
		for _, n := range v.Nodes {
			where = append(where, fmt.Sprint(n.Target...))
		}
		c.t.Errorf("%s: %s (%s): %s at %s", state, v.ID, v.Impact, v.Help, strings.Join(where, ", "))
	}
	c.audited++
}

// violations runs axe-core on the tab's page and returns what it found.
func (c *chrome) violations(axe, state string) []axeViolation {
	c.t.Helper()
	if _, err := chromedp.Run(c.ctx, chromedp.Evaluate[bool](axe+";true")); err != nil {
		c.t.Fatalf("%s: inject axe-core: %v", state, err)
	}
	raw, err := chromedp.Run(c.ctx, chromedp.Evaluate[string](`axe.run(document, {runOnly: {type: 'tag',
		values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}).then(r => JSON.stringify(r.violations))`, chromedp.EvalAwaitPromise))
	if err != nil {
		c.t.Fatalf("%s: run axe-core: %v", state, err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(raw), &vs); err != nil {
		c.t.Fatalf("%s: axe-core's answer: %v", state, err)
	}
	return vs
}

// TestBrowserEveryLoginPageStatePassesAxeInEveryLanguage walks every page
// of the login page, in every state a person meets (empty, with an
// error, locked, sent, each recovery step, the password change, the
// sign-up and its verification by link and by code), in
// English, German and French, and has axe-core find no WCAG 2.1 AA
// violation in any.
func TestBrowserEveryLoginPageStatePassesAxeInEveryLanguage(t *testing.T) {
	requireChromium(t)
	axe := requireAxe(t)
	t.Parallel()
	smtp := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{Username: smtpUser, Password: smtpPass})
	sms := notifytest.NewSMSServer(t, smsSID, smsToken)
	g := startGateway(t, func(s *siteConfig) {
		s.TenantExtra = "allowed_origins " + baseURL(s.Port) + "\n\t\t\tsecurity_question city Where were you born?" +
			"\n\t\t\tregistration open {\n\t\t\t\tallow_unverified\n\t\t\t\trequired_fields FirstName\n\t\t\t\tverification_email otp\n\t\t\t}"
		s.Extra = senders(smtp, sms) + "\n\t\tlogin_page {\n\t\t\tproduct_name \"Acme Books\"\n\t\t\tsupport_url mailto:help@example.com\n\t\t}"
	})
	ctx, cancel := context.WithTimeout(t.Context(), 280*time.Second)
	defer cancel()
	tab, cancelTab := newChromium(ctx, t)
	defer cancelTab()
	// The first tab starts the browser; each language gets a fresh
	// browser context.
	(&chrome{t: t, ctx: tab}).run(chromedp.EmulateViewport(420, 720))
	audited := 0
	// The password the walk changes each account's to.
	const changed = "e2e a password changed for the audit"
	for i, lang := range []string{"en", "de", "fr"} {
		user := lang + "-" + email
		r := g.do("POST", apiPrefix+"/manage/account?"+g.manage(), map[string]any{
			"Email":    []map[string]string{{"Type": "Primary", "Value": user}},
			"Password": password, "PhoneId": fmt.Sprintf("+155512300%02d", i),
		})
		if r.status != 200 {
			t.Fatalf("create account: %d %s", r.status, r.raw)
		}
		locked := lang + "-locked@example.com"
		g.do("POST", apiPrefix+"/manage/account?"+g.manage(), map[string]any{
			"Email": []map[string]string{{"Type": "Primary", "Value": locked}}, "Password": password})
		for range 5 {
			g.do("POST", apiPrefix+"/auth/login?apikey="+g.key(), map[string]string{"email": locked, "password": "not the password"})
		}
		c, cancel := chromedp.NewContext(tab, chromedp.WithNewBrowserContext())
		defer cancel()
		b := &chrome{t: t, ctx: c, base: g.base, dir: t.TempDir()}
		b.run(chromedp.EmulateViewport(420, 720))
		if _, err := chromedp.Call(c, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
			Headers: network.Headers{"Accept-Language": lang}}); err != nil {
			t.Fatal(err)
		}
		at := func(state string) string { return lang + ": " + state }
		open := func(path, sel string) {
			b.run(chromedp.Navigate(g.base+path), chromedp.WaitVisible(chromedp.CSS(sel)))
		}
		submit := func(fields map[string]string, then string) {
			for id, v := range fields {
				b.run(chromedp.SendKeys(chromedp.ID(id), v))
			}
			b.run(chromedp.Submit(chromedp.CSS("main form")), chromedp.WaitReady(chromedp.CSS(then)))
		}

		open("/login", "#identifier")
		b.audit(axe, at("password form"))
		if i == 0 {
			// The control: axe-core finds a field without a label here.
			if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.querySelector('label[for=identifier]').remove(), true`)); err != nil {
				t.Fatal(err)
			}
			if vs := b.violations(axe, "control"); len(vs) == 0 || vs[0].ID != "label" {
				t.Fatalf("axe-core missed a field without a label: %+v", vs)
			}
		}
		submit(map[string]string{"identifier": user, "password": "not the password"}, `#password[aria-invalid="true"]`)
		b.audit(axe, at("wrong password"))
		open("/login", "#identifier")
		submit(map[string]string{"identifier": locked, "password": "not the password"}, `#password[aria-invalid="true"]`)
		b.audit(axe, at("locked"))
		open("/login/forgot", "#identifier")
		b.audit(axe, at("forgot password"))
		submit(map[string]string{"identifier": user}, ".notice")
		b.audit(axe, at("reset email sent"))
		open("/login/reset?vtype=reset&vtoken=00000000-0000-4000-8000-000000000000", "#confirm")
		b.audit(axe, at("new password"))
		submit(map[string]string{"password": "one password", "confirm": "another one"}, "#confirm-error")
		b.audit(axe, at("new passwords differ"))
		open("/login/reset?vtype=resetpin&vtoken=00000000-0000-4000-8000-000000000000", "#confirm")
		b.audit(axe, at("new PIN from a link"))
		open("/login/nothing-here", "h1")
		b.audit(axe, at("not found"))
		open("/login/register", "#field-firstname")
		b.audit(axe, at("sign-up"))
		signUp := func(address, pw string, then string) {
			submit(map[string]string{"email": address, "password": pw, "confirm": pw, "field-firstname": "Ada"}, then)
		}
		signUp(user, changed, "#email-error")
		b.audit(axe, at("sign-up, address taken"))
		b.run(chromedp.Clear(chromedp.ID("email")), chromedp.Clear(chromedp.ID("field-firstname")))
		signUp(lang+"-new@example.com", "short", "#password-error")
		b.audit(axe, at("sign-up, password against the policy"))
		b.run(chromedp.Clear(chromedp.ID("email")), chromedp.Clear(chromedp.ID("field-firstname")))
		signUp(lang+"-new@example.com", changed, ".notice")
		b.audit(axe, at("sign-up, check your email, with the code field"))
		// Seven digits: never the six-digit code.
		submit(map[string]string{"otp": "1234567"}, "#otp-error")
		b.audit(axe, at("sign-up, wrong code"))
		open("/login/verify?vtype=emailverification&vtoken=00000000-0000-4000-8000-000000000000", `form[action="/login/verify"] button`)
		b.audit(axe, at("verify the email"))
		submit(nil, "#email")
		b.audit(axe, at("verification link no longer works"))
		open("/login", "#identifier")
		submit(map[string]string{"identifier": user, "password": password}, `input[name="pinauthtoken"]`)
		b.audit(axe, at("first PIN"))
		submit(map[string]string{"pin": "2468", "confirm": "1357"}, `#pin[aria-invalid="true"]`)
		b.audit(axe, at("first PINs differ"))
		submit(map[string]string{"pin": "2468", "confirm": "2468"}, "body")
		b.waitURL("/")
		open("/login/logout", `form[action="/login/logout"]`)
		b.audit(axe, at("signed in"))
		open("/login/password", "#current")
		b.audit(axe, at("change password"))
		submit(map[string]string{"current": "not the password", "password": changed, "confirm": changed}, "#current-error")
		b.audit(axe, at("wrong current password"))
		submit(map[string]string{"current": password, "password": "short", "confirm": "short"}, "#password-error")
		b.audit(axe, at("new password too short"))
		submit(map[string]string{"current": "", "password": changed, "confirm": "another one"}, "#confirm-error")
		b.audit(axe, at("no current password, new passwords differ"))
		submit(map[string]string{"current": password, "password": changed, "confirm": changed}, ".notice")
		b.audit(axe, at("password changed"))
		if _, err := chromedp.Call(c, network.DeleteCookies, network.DeleteCookiesParams{Name: browserSessionCookie, URL: g.base + "/"}); err != nil {
			t.Fatal(err)
		}
		open("/login", ".keypad")
		b.audit(axe, at("PIN pad"))
		// The pad knows this device's PIN length: the fourth digit submits.
		b.run(chromedp.SendKeys(chromedp.ID("pin"), "9999"), chromedp.WaitReady(chromedp.CSS(`#pin[aria-invalid="true"]`)))
		b.audit(axe, at("wrong PIN"))
		login := g.do("POST", apiPrefix+"/auth/login?apikey="+g.key(), map[string]string{"email": user, "password": changed})
		if set := g.do("PUT", apiPrefix+"/auth/account/2fa/securityquestionanswer?apikey="+g.key(),
			securityAnswers("city", "Lisbon"), withToken(login.str("access_token"))...); set.status != 200 {
			t.Fatalf("set the answers: %d %s", set.status, set.raw)
		}
		open("/login/forgotpin?by=answers", "#answer-city")
		b.audit(axe, at("security answers"))
		open("/login/forgotpin", `button[value="sms"]`)
		b.audit(axe, at("forgot PIN"))
		b.run(chromedp.Click(chromedp.CSS(`button[value="sms"]`)), chromedp.WaitVisible(chromedp.ID("otp")))
		b.audit(axe, at("PIN code sent"))
		submit(map[string]string{"otp": "000000", "pin": "2468", "confirm": "2468"}, `#otp[aria-invalid="true"]`)
		b.audit(axe, at("wrong code"))
		audited += b.audited
	}
	if want := 3 * 30; audited != want {
		t.Fatalf("audited %d page states, want %d", audited, want)
	}
}
