package pinauth

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// Helpers shared by the tests of the token and PIN lifecycle.

const newPIN = "7305"

// api is the API prefix with the demo tenant's key; more query
// parameters follow with "&".
func api(path string) string { return "/identity/v2/" + path + "?apikey=" + testKey }

// manage is a management path with the demo tenant's key and secret.
func manage(path string) string { return api(path) + "&apisecret=" + testSecret }

// withToken is the Authorization header pair for an access token.
func withToken(token string) []string { return []string{"Authorization", "Bearer " + token} }

// withWebhook subscribes a webhook so that events are written to the
// outbox. Its receiver is the discard port: the first attempt of each event
// fails and, on the frozen test clock, no retry ever falls due.
func withWebhook(c *Config) {
	c.Webhooks = []webhook.Webhook{{URL: "http://127.0.0.1:9/hook", Secret: "webhook-secret-of-24-bytes+"}}
}

// withQuestions gives the demo tenant three security questions.
func withQuestions(c *Config) {
	c.Tenants[0].SecurityQuestions = []config.SecurityQuestion{
		{ID: "q1", Text: "Where were you born?"},
		{ID: "q2", Text: "Name of your first pet?"},
		{ID: "q3", Text: "Your favourite teacher?"},
	}
}

// withMFA makes the demo tenant require security answers after the
// password.
func withMFA(c *Config) {
	withQuestions(c)
	c.Tenants[0].MFA = config.MFASecurityQuestion
}

// uidOf returns the Uid of a login or profile response.
func uidOf(r response) string {
	if p, ok := r.body["Profile"].(map[string]any); ok {
		s, _ := p["Uid"].(string)
		return s
	}
	return r.str("Uid")
}

// hooks returns the outbox events of an account, oldest first.
func (e *testEnv) hooks(uid string) []string {
	e.t.Helper()
	evs, err := e.store.Events(e.t.Context(), store.EventFilter{Tenant: "demo", UID: uid})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Hook)
	}
	return out
}

// countHook counts the account's outbox events named hook.
func (e *testEnv) countHook(uid, hook string) int {
	e.t.Helper()
	n := 0
	for _, h := range e.hooks(uid) {
		if h == hook {
			n++
		}
	}
	return n
}

// refresh calls the refresh endpoint.
func (e *testEnv) refresh(token string) response {
	e.t.Helper()
	return e.do("GET", manage("manage/account/access_token/refresh")+"&refresh_token="+url.QueryEscape(token), nil)
}

// account reads an account from the store.
func (e *testEnv) account(uid string) store.Account {
	e.t.Helper()
	a, found, err := e.store.Account(e.t.Context(), "demo", uid)
	if err != nil || !found {
		e.t.Fatalf("account %s: found %v, err %v", uid, found, err)
	}
	return a
}

// kidOf returns the kid header of a JWT.
func kidOf(t testing.TB, token string) string {
	t.Helper()
	tok, _, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
	if err != nil {
		t.Fatalf("parse token: %v", err)
	}
	kid, _ := tok.Header["kid"].(string)
	return kid
}

// jwksKids returns the kids the JWKS publishes, sorted.
func (e *testEnv) jwksKids() []string {
	e.t.Helper()
	r := e.do("GET", config.JWKSPath, nil)
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.Unmarshal([]byte(r.raw), &set); err != nil {
		e.t.Fatalf("JWKS: %v (%s)", err, r.raw)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.Kid)
	}
	slices.Sort(kids)
	return kids
}

// fieldNames returns the FieldName of every entry of a 1134 response.
func fieldNames(r response) []string {
	errs, _ := r.body["Errors"].([]any)
	var out []string
	for _, e := range errs {
		if m, ok := e.(map[string]any); ok {
			s, _ := m["FieldName"].(string)
			out = append(out, s)
		}
	}
	return out
}

// wantCode fails the test unless r has the status and error code.
func wantCode(t *testing.T, what string, r response, status, code int) {
	t.Helper()
	if r.status != status || r.code() != code {
		t.Fatalf("%s: want %d/%d, got %d %s", what, status, code, r.status, r.raw)
	}
}

// wantOK fails the test unless r is a 200.
func wantOK(t *testing.T, what string, r response) {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("%s: want 200, got %d %s", what, r.status, r.raw)
	}
}

// noSecrets fails when a response contains any of the secrets.
func noSecrets(t *testing.T, r response, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(r.raw, s) {
			t.Fatalf("response contains a secret: %s", r.raw)
		}
	}
}
