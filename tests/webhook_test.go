package tests

import (
	"bytes"
	"encoding/base64"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// hookSecret is a Standard Webhooks secret: whsec_ and a base64 key.
var hookSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("the e2e webhook key, 32 bytes!!!"))

// withWebhook adds `webhook <receiver> { secret …; <lines> }` to the site.
func withWebhook(rc *hookReceiver, lines ...string) func(*siteConfig) {
	return func(s *siteConfig) {
		s.Extra += "\n\t\twebhook " + rc.url() + " {\n\t\t\tsecret " + hookSecret + "\n\t\t\t" +
			strings.Join(lines, "\n\t\t\t") + "\n\t\t}"
	}
}

// deliveryWait bounds how long one delivery may take: the dispatcher polls
// every second, and the race detector slows everything down.
const deliveryWait = 30 * time.Second

func TestPINLoginSendsOneSignedLoginWebhookAndPreventWebhookSendsNone(t *testing.T) {
	t.Parallel()
	rc := newHookReceiver(t)
	g := startGateway(t, withWebhook(rc, "events Login"))
	login, uid := g.loggedIn()
	st := login.str("session_token")
	rc.waitOK(1, deliveryWait) // the password login's

	r := g.pinLogin(st, pin)
	if r.status != 200 {
		t.Fatalf("PIN login: %d %s", r.status, r.raw)
	}
	got := rc.waitOK(2, deliveryWait)
	d := got[1]
	if err := verifyStandardWebhook(hookSecret, d.header, d.body); err != nil {
		t.Fatalf("the PIN login's delivery does not verify: %v", err)
	}
	if !readmeVerify(t, hookSecret, d) {
		t.Error("the README's verify rejects the delivery")
	}
	tampered := d
	tampered.body = bytes.Replace(d.body, []byte(`"login"`), []byte(`"logout"`), 1)
	if readmeVerify(t, hookSecret, tampered) {
		t.Error("the README's verify accepts a changed body")
	}
	if d.hookName(t) != "login" || !bytes.Contains(d.body, []byte(uid)) || !bytes.Contains(d.body, []byte(`"Tenant":"`+tenantName+`"`)) {
		t.Errorf("delivery body: %s", d.body)
	}
	if d.header.Get("webhook-id") == got[0].header.Get("webhook-id") {
		t.Error("two logins were delivered with one webhook-id")
	}
	for name, secret := range map[string]string{
		"PIN": pin, "password": password, "webhook secret": hookSecret, "webhook key": strings.TrimPrefix(hookSecret, "whsec_"),
		"pepper": pepper, "session token": st, "access token": r.str("access_token"), "refresh token": r.str("refresh_token"),
		"hash": "argon2",
	} {
		if secret != "" && bytes.Contains(d.body, []byte(secret)) {
			t.Errorf("the delivered body contains the %s", name)
		}
	}

	// Asked not to: no event at all. A later login of the same account is
	// delivered after anything written before it, so once it arrives any
	// event of the prevented logins would have arrived too.
	if r := g.do("POST", apiPrefix+"/auth/login/pin?apikey="+g.key()+"&session_token="+st+"&prevent_webhook=true",
		map[string]string{"pin": pin}); r.status != 200 {
		t.Fatalf("PIN login with prevent_webhook=true: %d %s", r.status, r.raw)
	}
	if r := g.do("POST", apiPrefix+"/auth/login/pin?apikey="+g.key()+"&session_token="+st,
		map[string]string{"pin": pin}, "X-PreventWebhook", "true"); r.status != 200 {
		t.Fatalf("PIN login with X-PreventWebhook: %d %s", r.status, r.raw)
	}
	if r := g.pinLogin(st, pin); r.status != 200 {
		t.Fatalf("PIN login: %d %s", r.status, r.raw)
	}
	rc.waitOK(3, deliveryWait)
	if n := len(rc.all()); n != 3 {
		t.Errorf("the receiver got %d requests, want 3: the prevented logins sent something", n)
	}
	for _, leak := range []string{hookSecret, strings.TrimPrefix(hookSecret, "whsec_"), string(d.body)} {
		if strings.Contains(g.proc.Logs(), leak) {
			t.Error("Caddy's log holds the webhook secret or a payload")
		}
	}
}

func TestAWebhookFailingThreeTimesIsDeliveredOnTheFourthWithTheSameID(t *testing.T) {
	t.Parallel()
	rc := newHookReceiver(t)
	rc.setPlan(func(n int) hookReply {
		return []hookReply{hook500, hookHold, hookClose, hookOK}[min(n, 4)-1]
	})
	g := startGateway(t, withWebhook(rc, "events Register", "timeout 1s", "retry 6 200ms 2s"))
	g.createAccount(pin)
	rc.waitOK(1, deliveryWait)
	all := rc.all()
	if len(all) != 4 {
		t.Fatalf("the receiver got %d requests, want 4 (500, no answer, closed connection, success)", len(all))
	}
	for i, d := range all {
		if d.header.Get("webhook-id") != all[0].header.Get("webhook-id") || !bytes.Equal(d.body, all[0].body) {
			t.Errorf("attempt %d changed the webhook-id or the body", i+1)
		}
		if err := verifyStandardWebhook(hookSecret, d.header, d.body); err != nil {
			t.Errorf("attempt %d does not verify: %v", i+1, err)
		}
	}
	// Waits of at least half of 200ms, 400ms, 800ms (equal jitter); the
	// unanswered attempt first uses up its 1s timeout (less 150ms of slack:
	// the timeout starts just before the request arrives).
	for i, least := range []time.Duration{100 * time.Millisecond, time.Second + 200*time.Millisecond - 150*time.Millisecond, 400 * time.Millisecond} {
		if gap := all[i+1].at.Sub(all[i].at); gap < least {
			t.Errorf("attempt %d came %s after attempt %d, want at least %s", i+2, gap, i+1, least)
		}
	}
	logs := g.proc.Logs()
	for _, want := range []string{"receiver answered 500", "no response within 1s", "webhook delivery failed"} {
		if !strings.Contains(logs, want) {
			t.Errorf("Caddy's log does not mention %q", want)
		}
	}
	if strings.Contains(logs, rc.url()) {
		t.Error("Caddy's log holds the webhook URL (which may carry a token)")
	}
}

func TestADeadWebhookIsLoggedListedAndReplayedByTheCLI(t *testing.T) {
	t.Parallel()
	rc := newHookReceiver(t)
	rc.setPlan(func(int) hookReply { return hook500 })
	g, metricsURL := startGatewayWithMetrics(t, withWebhook(rc, "events Register", "retry 2 50ms 100ms"))
	const (
		deadAttempts = `pinauth_webhook_deliveries_total{result="dead"}`
		delivered    = `pinauth_webhook_deliveries_total{result="delivered"}`
		deadInOutbox = `pinauth_webhook_outbox_events{state="dead"}`
	)
	if m := scrape(t, metricsURL); m[deadAttempts] != 0 || m[deadInOutbox] != 0 {
		t.Fatalf("dead webhook metrics before any event: %v attempts, %v in the outbox", m[deadAttempts], m[deadInOutbox])
	}

	uid := g.createAccount(pin)
	deadline := time.Now().Add(deliveryWait)
	for !strings.Contains(g.proc.Logs(), "webhook event dead") {
		if time.Now().After(deadline) {
			t.Fatalf("no dead event was logged within %s", deliveryWait)
		}
		time.Sleep(20 * time.Millisecond)
	}
	id := rc.all()[0].header.Get("webhook-id")
	if n := len(rc.all()); n != 2 {
		t.Errorf("the receiver got %d attempts, want 2 (retry 2)", n)
	}
	if m := scrape(t, metricsURL); m[deadAttempts] != 1 || m[deadInOutbox] != 1 {
		t.Errorf("after the event died: %s = %v, %s = %v; want 1 and 1", deadAttempts, m[deadAttempts], deadInOutbox, m[deadInOutbox])
	}

	cli := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(caddyBin, append([]string{"pinauth", "webhooks"}, args...)...)
		cmd.Env = []string{"HOME=" + filepath.Join(g.proc.Dir, "home"), "XDG_DATA_HOME=" + filepath.Join(g.proc.Dir, "data"),
			"XDG_CONFIG_HOME=" + filepath.Join(g.proc.Dir, "config")}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("caddy pinauth webhooks %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	store := "--store=sqlite:" + g.site.DB
	out := cli("list", "--state", "dead", store)
	if !strings.Contains(out, id) || !strings.Contains(out, uid) || !strings.Contains(out, "receiver answered 500") {
		t.Errorf("webhooks list --state dead does not show the event:\n%s", out)
	}
	rc.setPlan(func(int) hookReply { return hookOK })
	if out := cli("replay", store, id); !strings.Contains(out, "replayed "+id) {
		t.Errorf("webhooks replay: %s", out)
	}
	got := rc.waitOK(1, deliveryWait)
	if got[0].header.Get("webhook-id") != id || verifyStandardWebhook(hookSecret, got[0].header, got[0].body) != nil {
		t.Errorf("the replayed delivery has webhook-id %s (want %s) or does not verify", got[0].header.Get("webhook-id"), id)
	}
	// The delivery is recorded just after the receiver answered.
	deadline = time.Now().Add(deliveryWait)
	for {
		m := scrape(t, metricsURL)
		if m[delivered] == 1 && m[deadInOutbox] == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the replay: %s = %v, %s = %v; want 1 and 0", delivered, m[delivered], deadInOutbox, m[deadInOutbox])
		}
		time.Sleep(20 * time.Millisecond) // poll pacing
	}
}

func TestAWebhookInFlightWhenCaddyIsKilledIsDeliveredAfterARestart(t *testing.T) {
	t.Parallel()
	rc := newHookReceiver(t)
	rc.setPlan(func(int) hookReply { return hookHold })
	g := startGateway(t, withWebhook(rc, "events Login", "timeout 1s"))
	_, uid := g.loggedIn() // the login is committed: its event is in the outbox
	rc.waitArrived(deliveryWait)
	held := rc.all()[0]
	// Mid-delivery: the receiver has the request but has not answered.
	g.proc.kill9(t)

	rc.setPlan(func(int) hookReply { return hookOK })
	startCaddyConfig(t, g.proc.Dir, filepath.Join(g.proc.Dir, "Caddyfile"),
		[]string{g.base + "/.well-known/jwks.json"})
	got := rc.waitOK(1, deliveryWait)
	d := got[0]
	if d.header.Get("webhook-id") != held.header.Get("webhook-id") || !bytes.Equal(d.body, held.body) {
		t.Errorf("after the restart the event came with webhook-id %s, want %s, the same body",
			d.header.Get("webhook-id"), held.header.Get("webhook-id"))
	}
	if !bytes.Contains(d.body, []byte(uid)) || d.hookName(t) != "login" {
		t.Errorf("delivered body: %s", d.body)
	}
	if err := verifyStandardWebhook(hookSecret, d.header, d.body); err != nil {
		t.Errorf("the redelivery does not verify: %v", err)
	}
	// The dead process held a lease of twice the 1s timeout plus 5s: the
	// new one waited for it (a restart alone takes about a second) rather
	// than racing a delivery that might still finish.
	if gap := d.at.Sub(held.at); gap < 5*time.Second {
		t.Errorf("redelivered %s after the interrupted attempt, before the dead node's 7s lease ended", gap)
	}
	if n := len(rc.all()); n != 2 {
		t.Errorf("the receiver got %d requests, want 2 (the interrupted one and the redelivery)", n)
	}
}
