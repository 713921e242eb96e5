package tests

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// documentedLogBlock returns the `log { … }` block of the operator guide's
// "Access logs" example, as written there.
func documentedLogBlock(t *testing.T) string {
	t.Helper()
	_, section, ok := strings.Cut(readRepoFile(t, "docs/operator-guide.md"), "\n## Access logs\n")
	if !ok {
		t.Fatal("the operator guide has no Access logs section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	blocks := codeBlocks(section)
	if len(blocks) == 0 {
		t.Fatal("the Access logs section shows no Caddyfile")
	}
	lines := strings.Split(blocks[0], "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) != "log {" {
			continue
		}
		depth := 0
		for j := i; j < len(lines); j++ {
			depth += strings.Count(lines[j], "{") - strings.Count(lines[j], "}")
			// The regular expressions hold no braces but ${1}, which
			// balances.
			if depth == 0 {
				return strings.Join(lines[i:j+1], "\n")
			}
		}
	}
	t.Fatalf("no log block in the Access logs example:\n%s", blocks[0])
	return ""
}

// TestTheDocumentedAccessLogKeepsEveryCredentialOut adapts the operator
// guide's log block (only its output file changes), runs it on real Caddy
// in front of the gateway, walks every call that carries a credential in
// the query or the secret header, in the spellings the API accepts, and
// proves that none of those values is in the access log while the
// requests themselves are.
func TestTheDocumentedAccessLogKeepsEveryCredentialOut(t *testing.T) {
	t.Parallel()
	block := documentedLogBlock(t)
	const documentedOutput = "output file /var/log/caddy/access.log"
	if !strings.Contains(block, documentedOutput) {
		t.Fatalf("the documented log block no longer writes %q: adapt this test\n%s", documentedOutput, block)
	}
	logFile := filepath.Join(t.TempDir(), "access.log")
	block = strings.Replace(block, documentedOutput, "output file "+logFile, 1)
	g := startGateway(t, func(s *siteConfig) {
		s.Before = block
		s.Extra = "public /reset"
	})
	secretHeader := []string{"X-LoginRadius-ApiSecret", apiSecret}
	q := url.QueryEscape

	// A first PIN: pinauthtoken, session_token, access and refresh tokens.
	if r := g.do("POST", apiPrefix+"/manage/account?apikey="+g.key(), map[string]any{
		"Email": []map[string]string{{"Type": "Primary", "Value": email}}, "Password": password, "UserName": username,
	}, secretHeader...); r.status != 200 {
		t.Fatalf("create account: %d %s", r.status, r.raw)
	}
	first := g.passwordLogin()
	pat, _ := first.object("Data")["PINAuthToken"].(string)
	if first.code() != 1243 || pat == "" {
		t.Fatalf("password login without a PIN: %s", first.raw)
	}
	set := g.setPIN(pat, pin)
	session, refresh := set.str("session_token"), set.str("refresh_token")
	if set.status != 200 || session == "" || refresh == "" {
		t.Fatalf("set PIN: %d %s", set.status, set.raw)
	}
	login := g.pinLogin(session, pin)
	access := login.str("access_token")
	if login.status != 200 || access == "" {
		t.Fatalf("PIN login: %d %s", login.status, login.raw)
	}
	secrets := map[string]string{
		"api secret": apiSecret, "PINAuthToken": pat, "session token": session, "access token": access,
		"refresh token": refresh, "second factor token": "2fa-token-in-the-query", "reset link vtoken": "vtoken-value-0001",
		"vtoken in a Referer": "vtoken-in-a-referer-02",
	}
	calls := []struct {
		method, path string
		header       []string
	}{
		// The secret in the query, in the spellings the API accepts.
		{"GET", apiPrefix + "/manage/account?apikey=" + g.key() + "&apisecret=" + apiSecret + "&email=" + q(email), nil},
		{"GET", apiPrefix + "/manage/account?apikey=" + g.key() + "&ApiSecret=" + apiSecret + "&email=" + q(email), nil},
		{"GET", apiPrefix + "/manage/account?apikey=" + g.key() + "&api%73ecret=" + apiSecret + "&email=" + q(email), nil},
		{"GET", apiPrefix + "/manage/account?APIKEY=" + g.key() + "&APISECRET=" + apiSecret + "&email=" + q(email), nil},
		// The secret in its header, in two spellings.
		{"GET", apiPrefix + "/manage/account?apikey=" + g.key() + "&email=" + q(email), secretHeader},
		{"GET", apiPrefix + "/manage/account?apikey=" + g.key() + "&email=" + q(email), []string{"x-loginradius-apisecret", apiSecret}},
		// Tokens in the query.
		{"GET", apiPrefix + "/manage/account/access_token/refresh?apikey=" + g.key() + "&refresh_token=" + refresh, secretHeader},
		{"GET", apiPrefix + "/auth/access_token/validate?apikey=" + g.key() + "&access_token=" + access, nil},
		{"GET", apiPrefix + "/auth/access_token/validate?apikey=" + g.key() + "&Access_Token=" + access, nil},
		{"GET", "/app/page?x=1&access_token=" + access, nil},
		{"GET", "/app/page?acce%C5%BF%C5%BF_token=" + access, nil},
		{"POST", apiPrefix + "/auth/login/2fa/verification/securityquestionanswer?apikey=" + g.key() +
			"&secondfactorauthenticationtoken=" + secrets["second factor token"], nil},
		{"GET", "/reset?vtype=resetpin&vtoken=" + secrets["reset link vtoken"], nil},
		{"GET", "/app/page", []string{"Authorization", "Bearer " + access,
			"Referer", "https://app.example/reset?vtype=resetpin&vtoken=" + secrets["vtoken in a Referer"]}},
		{"GET", apiPrefix + "/auth/session_token/invalidate?apikey=" + g.key() + "&session_token=" + session, nil},
	}
	for _, c := range calls {
		var body any
		if c.method == "POST" {
			body = map[string]any{}
		}
		g.do(c.method, c.path, body, c.header...)
	}
	g.proc.stop(t) // flushes the log

	raw, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	logged := string(raw)
	// Not vacuous: every request is there, and the filter did its work.
	if n := strings.Count(logged, `"uri":`); n < len(calls)+5 {
		t.Fatalf("the access log has %d entries, want at least %d:\n%s", n, len(calls)+5, logged)
	}
	for _, want := range []string{"/manage/account/access_token/refresh", "/app/page", "/reset?vtype=resetpin", "REDACTED"} {
		if !strings.Contains(logged, want) {
			t.Errorf("the access log lacks %q", want)
		}
	}
	for what, v := range secrets {
		if strings.Contains(logged, v) {
			t.Errorf("the %s is in the access log", what)
		}
	}
}

// TestNoGuideSendsTheAPISecretInTheQuery keeps the README and the guides
// sending the secret the way access logs do not record.
func TestNoGuideSendsTheAPISecretInTheQuery(t *testing.T) {
	t.Parallel()
	docs := []string{"README.md", "SECURITY.md", "Caddyfile.example"}
	entries, err := os.ReadDir(filepath.Join("..", "docs"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".md") {
			docs = append(docs, "docs/"+e.Name())
		}
	}
	inQuery := regexp.MustCompile(`(?i)[?&]api_?secret=`)
	for _, name := range docs {
		for _, block := range codeBlocks(readRepoFile(t, name)) {
			if m := inQuery.FindString(block); m != "" {
				t.Errorf("%s: an example sends the API secret in the query (%q): use the X-LoginRadius-ApiSecret header", name, m)
			}
		}
	}
}
