package tests

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/notifytest"
)

// LoginRadius's Node SDK, as .ci/run installs it: npm's loginradius-sdk at
// nodeSDKVersion in a folder outside the repository, named by
// PINAUTH_NODE_SDK (default defaultNodeSDK).
const (
	nodeSDKVersion = "11.7.0"
	defaultNodeSDK = "/tmp/pinauth-node-sdk/node_modules/loginradius-sdk"
)

// The SDK builds https://<apiDomain>/<path>: port 443 of a host name, no
// other port. The test serves there, under a lock its parallel runs share.
const (
	sdkHost      = "localhost"
	sdkAddr      = "127.0.0.1:443"
	sdkPortLock  = "/tmp/pinauth-port-443.lock"
	sdkLockWait  = 10 * time.Minute
	sdkRunLimit  = 5 * time.Minute
	sdkResetHost = "https://app.example.com"
)

// sdkUncalled are the served routes no method of the Node SDK calls, each
// with the reason; every other route of the API reference must be called
// by the script and answered with success at least once.
var sdkUncalled = map[string]string{
	"POST /auth/pin/change":              "the SDK changes a PIN with PUT (served too, and called)",
	"GET /manage/account/{uid}/password": "refused for every account (1144, never a hash): the script calls getAccountPasswordHashByUid and checks the refusal",
	"GET /.well-known/jwks.json":         "outside the API: apps read the JWKS with a JOSE library, not the SDK",
}

// requireNodeSDK returns the SDK's folder, skipping the test when node or
// the SDK is missing, unless in CI (.ci/run installs both), where it fails.
func requireNodeSDK(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("PINAUTH_NODE_SDK")
	if dir == "" {
		dir = defaultNodeSDK
	}
	_, errNode := exec.LookPath("node")
	var pkg struct{ Name, Version string }
	b, errSDK := os.ReadFile(filepath.Join(dir, "package.json"))
	if errSDK == nil {
		errSDK = json.Unmarshal(b, &pkg)
	}
	if errSDK == nil && (pkg.Name != "loginradius-sdk" || pkg.Version != nodeSDKVersion) {
		errSDK = fmt.Errorf("%s holds %s %s, want loginradius-sdk %s", dir, pkg.Name, pkg.Version, nodeSDKVersion)
	}
	if err := errors.Join(errNode, errSDK); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the Node SDK test needs node and loginradius-sdk %s; .ci/run must install them: %v", nodeSDKVersion, err)
		}
		t.Skipf("node or loginradius-sdk %s is missing (npm install --prefix /tmp/pinauth-node-sdk loginradius-sdk@%s): %v",
			nodeSDKVersion, nodeSDKVersion, err)
	}
	return dir
}

// lockPort443 holds the machine-wide lock of port 443 for the test, so
// that two test runs (race and plain, or two worktrees) take turns, then
// checks the port is free: anything else holding it fails the test.
func lockPort443(t *testing.T) {
	t.Helper()
	f, err := os.OpenFile(sdkPortLock, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatalf("open the port-443 lock: %v", err)
	}
	locked := make(chan error, 1)
	go func() { locked <- syscall.Flock(int(f.Fd()), syscall.LOCK_EX) }()
	select {
	case err := <-locked:
		if err != nil {
			t.Fatalf("lock %s: %v", sdkPortLock, err)
		}
	case <-time.After(sdkLockWait):
		t.Fatalf("another test run held %s for %v", sdkPortLock, sdkLockWait)
	}
	t.Cleanup(func() { f.Close() }) // closing releases the lock
	l, err := net.Listen("tcp", sdkAddr)
	if err != nil {
		t.Fatalf("the Node SDK test serves on %s because the SDK only speaks to port 443 of a host name, "+
			"but that port cannot be used: %v (stop whatever holds it, or run as a user that may bind it)", sdkAddr, err)
	}
	l.Close()
}

// sdkTenant is a tenant of the SDK test's Caddyfile.
type sdkTenant struct {
	Key    string `json:"key"`
	Secret string `json:"secret"`
}

func TestNodeSDKCallsEveryServedRouteOverHTTPS(t *testing.T) {
	sdkDir := requireNodeSDK(t)
	lockPort443(t)
	smtp := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{Username: smtpUser, Password: smtpPass})
	sms := notifytest.NewSMSServer(t, smsSID, smsToken)
	up := newUpstream(t)
	tenants := map[string]sdkTenant{
		"demo":  {Key: "e2e-sdk-demo-key", Secret: "e2e-sdk-demo-secret-0001"},
		"otp":   {Key: "e2e-sdk-code-key", Secret: "e2e-sdk-code-secret-0002"},
		"mfa":   {Key: "e2e-sdk-mfa-key", Secret: "e2e-sdk-mfa-secret-00003"},
		"typed": {Key: "e2e-sdk-typed-key", Secret: "e2e-sdk-typed-secret-0004"},
		// Sign-up (issue 20): by link, and by code.
		"signup":      {Key: "e2e-sdk-signup-key", Secret: "e2e-sdk-signup-secret-05"},
		"signupcodes": {Key: "e2e-sdk-signupcode-key", Secret: "e2e-sdk-signupcode-secret-06"},
	}
	dir := t.TempDir()
	accessLog := filepath.Join(dir, "access.log")
	questions := "security_question pet \"What was the name of your first pet?\"\n" +
		"\t\t\tsecurity_question city \"In which city were you born?\""
	conf := fmt.Sprintf(`{
	admin off
	persist_config off
	auto_https disable_redirects
	skip_install_trust
	default_bind 127.0.0.1
	http_port %d
}
%s:443 {
	tls internal
	log {
		output file %s
		format json
	}
	pin_auth {
		tenant demo {
			api_key %s
			api_secret %s
			allowed_origins %s
			%s
		}
		tenant codes {
			api_key %s
			api_secret %s
			allowed_origins %s
			pin_reset_email otp
			password_reset_email otp
		}
		tenant mfa {
			api_key %s
			api_secret %s
			mfa security_question
			%s
		}
		tenant typed {
			api_key %s
			api_secret %s
			token_format uuid
		}
		tenant signup {
			api_key %s
			api_secret %s
			allowed_origins %s
			registration open
		}
		tenant signupcodes {
			api_key %s
			api_secret %s
			registration open {
				verification_email otp
			}
		}
		store sqlite %s
		pepper %s
		issuer %s
		%s
		%s
	}
	reverse_proxy %s
}
`, freePort(t), sdkHost, accessLog,
		tenants["demo"].Key, tenants["demo"].Secret, sdkResetHost, questions,
		tenants["otp"].Key, tenants["otp"].Secret, sdkResetHost,
		tenants["mfa"].Key, tenants["mfa"].Secret, questions,
		tenants["typed"].Key, tenants["typed"].Secret,
		tenants["signup"].Key, tenants["signup"].Secret, sdkResetHost,
		tenants["signupcodes"].Key, tenants["signupcodes"].Secret,
		filepath.Join(dir, "pinauth.db"), pepper, issuer, cheapHash, senders(smtp, sms)+sdkCaptchaLock(t), up.addr())
	p := startCaddy(t, conf, nil)
	root := filepath.Join(p.Dir, "data", "caddy", "pki", "authorities", "local", "root.crt")
	// Any answer means ready; the protected root answers 401 without
	// touching a route the coverage check below counts.
	p.waitHTTPS(t, "https://"+sdkHost+"/", root)

	tj, err := json.Marshal(tenants)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), sdkRunLimit)
	defer cancel()
	script, err := filepath.Abs(filepath.Join("nodesdk", "sdk_calls.js"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Env = append(os.Environ(),
		"PINAUTH_SDK="+sdkDir,
		"PINAUTH_TENANTS="+string(tj),
		"PINAUTH_HOST="+sdkHost,
		"PINAUTH_RESET_URL="+sdkResetHost+"/reset",
		"NODE_EXTRA_CA_CERTS="+root,
		// localhost resolves to 127.0.0.1 only here; never try ::1 first.
		"NODE_OPTIONS=--dns-result-order=ipv4first",
	)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var calls []string
	done := false
	mails, texts := 0, 0
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		line := lines.Text()
		switch {
		case strings.HasPrefix(line, "CALL "):
			calls = append(calls, strings.TrimPrefix(line, "CALL "))
		case line == "NEED mail":
			mails++
			m := smtp.WaitMails(t, mails, messageWait)[mails-1]
			em, err := notifytest.ParseEmail(m.Data)
			if err != nil {
				t.Fatalf("parse email %d: %v", mails, err)
			}
			reply(t, stdin, resetSecret(t, em.Text))
		case line == "NEED sms":
			texts++
			reply(t, stdin, resetSecret(t, sms.WaitMessages(t, texts, messageWait)[texts-1].Body))
		case line == "DONE":
			done = true
		default:
			t.Logf("sdk script: %s", line)
		}
	}
	err = cmd.Wait()
	if err != nil || !done {
		last := "none"
		if len(calls) > 0 {
			last = calls[len(calls)-1]
		}
		t.Fatalf("the SDK script failed (%v) after %d calls; last call %s:\n%s", err, len(calls), last, stderr.String())
	}
	t.Logf("%d SDK calls, every answer as asserted", len(calls))

	// Every served route was called through the SDK and answered with
	// success at least once; no call was answered with a 5xx.
	served := servedRoutes(t)
	succeeded := map[string]bool{}
	for _, e := range accessEntries(t, accessLog) {
		if e.Status >= 500 {
			t.Errorf("%s %s answered %d", e.Request.Method, e.Request.URI, e.Status)
		}
		if r := matchRoute(served, e.Request.Method, e.Request.URI); r != "" && e.Status < 300 {
			succeeded[r] = true
		}
	}
	for _, r := range served {
		_, exempt := sdkUncalled[r]
		switch {
		case exempt && succeeded[r]:
			t.Errorf("%s is listed as called by no SDK method, but the script called it", r)
		case !exempt && !succeeded[r]:
			t.Errorf("%s: no SDK call reached it with success; add the SDK method that calls it to "+
				"tests/nodesdk/sdk_calls.js, or list it in sdkUncalled with the reason", r)
		}
	}
	for r := range sdkUncalled {
		if !slices.Contains(served, r) {
			t.Errorf("sdkUncalled lists %s, which the API reference does not", r)
		}
	}
}

// sdkCaptchaLock makes the lockout a captcha lock, solved with a local
// reCAPTCHA's "e2e-solved", for the unlock by access token (issue 20). A
// captcha is asked for only by the lock (after 100), so the script's other
// calls go as without one.
func sdkCaptchaLock(t *testing.T) string {
	const secret = "e2e-sdk-captcha-secret"
	return "\n\t\tlockout 5 15m 15m captcha\n\t\tcaptcha recaptcha " + secret + " {\n\t\t\tverify_url " +
		fakeRecaptcha(t, secret).URL + "\n\t\t\tafter 100\n\t\t}"
}

// reply writes one line to the script's standard input.
func reply(t *testing.T, w io.Writer, s string) {
	t.Helper()
	if _, err := io.WriteString(w, s+"\n"); err != nil {
		t.Fatalf("answer the SDK script: %v", err)
	}
}

var resetCode = regexp.MustCompile(`\b\d{6}\b`)

// resetSecret is the reset token of a message's link, else its 6-digit
// code.
func resetSecret(t *testing.T, text string) string {
	t.Helper()
	if m := vtoken.FindStringSubmatch(text); m != nil {
		return m[1]
	}
	if c := resetCode.FindString(text); c != "" {
		return c
	}
	t.Fatalf("no reset link or code in:\n%s", text)
	return ""
}

// waitHTTPS polls url over TLS, trusting only Caddy's local CA (whose root
// certificate appears at root once Caddy made it), until it answers.
func (p *caddyProc) waitHTTPS(t *testing.T, rawURL, root string) {
	t.Helper()
	p.waitAnswer(t, rawURL, func() (*http.Client, error) {
		pem, err := os.ReadFile(root)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s holds no certificate yet", root)
		}
		return &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, sdkAddr)
			},
		}}, nil
	})
}
