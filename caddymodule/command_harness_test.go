package caddymodule

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cliResult is what one in-process `caddy pinauth` run produced.
type cliResult struct {
	out, errOut string
	status      int
}

// pinauthCLI runs `caddy pinauth <args>` in-process with stdin and returns
// its output and exit status.
func pinauthCLI(t *testing.T, stdin string, args ...string) cliResult {
	t.Helper()
	var out, errOut bytes.Buffer
	status, _ := cliExitStatus(pinauthRoot(t, strings.NewReader(stdin), &out, &errOut, args...).Execute())
	return cliResult{out: out.String(), errOut: errOut.String(), status: status}
}

// cliSite writes a Caddyfile with one pin_auth site on store (a `store …`
// line) and returns its path.
func cliSite(t *testing.T, storeLine string) string {
	t.Helper()
	conf := filepath.Join(t.TempDir(), "Caddyfile")
	t.Setenv("CLI_USER_PEPPER", "cli-user-pepper-0123456789")
	site := `:0 {
	pin_auth {
		tenant demo {
			api_key ` + testAPIKey + `
			api_secret ` + testAPISecret + `
		}
		` + storeLine + `
		pepper {env.CLI_USER_PEPPER}
		hash argon2id 1 64 1
	}
	respond ok
}
`
	if err := os.WriteFile(conf, []byte(site), 0o600); err != nil {
		t.Fatal(err)
	}
	return conf
}

// provisionFromCaddyfile provisions the pin_auth handler of a Caddyfile, as
// `caddy run` would, so a test can log in against what the CLI wrote.
func provisionFromCaddyfile(t *testing.T, conf string) *Handler {
	t.Helper()
	text, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	js, err := adapt(string(text))
	if err != nil {
		t.Fatal(err)
	}
	var tree any
	if err := json.Unmarshal([]byte(js), &tree); err != nil {
		t.Fatal(err)
	}
	raws := pinAuthHandlers(tree)
	if len(raws) != 1 {
		t.Fatalf("found %d pin_auth handlers", len(raws))
	}
	h := new(Handler)
	if err := json.Unmarshal(raws[0], h); err != nil {
		t.Fatal(err)
	}
	if err := h.Provision(testContext(t)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Cleanup() })
	return h
}

// apiCall sends an API call through h and returns the status and body.
func apiCall(t *testing.T, h *Handler, method, target, body string) (int, map[string]any) {
	t.Helper()
	rec := httptest.NewRecorder()
	var req *http.Request
	if body == "" {
		req = caddyRequest(method, target, nil)
	} else {
		req = caddyRequest(method, target, strings.NewReader(body))
	}
	if err := h.ServeHTTP(rec, req, failNext(t)); err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out
}
