package pinauth

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/hashing"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/testkit"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/sqlite"
)

// testClock is the shared injectable clock (one per node).
type testClock = testkit.Clock

func newTestClock() *testClock { return testkit.NewClock() }

// cheapHash keeps unit tests fast; the e2e suite uses real parameters.
var cheapHash = hashing.Params{Time: 1, MemoryKiB: 64, Threads: 1}

const (
	testKey     = "test-api-key"
	testSecret  = "test-api-secret-0123"
	testPepper  = "unit-test-pepper-0123456789"
	testIssuer  = "https://gw.test"
	testPIN     = "4821"
	testPass    = "correct horse battery"
	testEmail   = "alice@example.com"
	otherKey    = "other-api-key"
	otherSecret = "other-api-secret"
)

// testEnv is a gateway on a real SQLite file behind httptest, with an
// upstream that records what it receives.
type testEnv struct {
	t        testing.TB
	gw       *Gateway
	store    store.Store
	clock    *testClock
	srv      *httptest.Server
	upstream *recorder
	cfg      Config
}

// recorder is the upstream: it records the headers of each request.
type recorder struct {
	mu      sync.Mutex
	headers []http.Header
}

func (r *recorder) record(h http.Header) {
	r.mu.Lock()
	r.headers = append(r.headers, h.Clone())
	r.mu.Unlock()
}

func (r *recorder) calls() []http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]http.Header(nil), r.headers...)
}

// newTestEnv starts a gateway; mutate adjusts the config first.
func newTestEnv(t testing.TB, mutate ...func(*Config)) *testEnv {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "pinauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newTestEnvOn(t, st, mutate...)
}

// newTestEnvOn starts a gateway on an existing store.
func newTestEnvOn(t testing.TB, st store.Store, mutate ...func(*Config)) *testEnv {
	t.Helper()
	clock := newTestClock()
	cfg := Config{
		Tenants: []Tenant{
			{Name: "demo", APIKeys: []string{testKey}, APISecret: testSecret},
			{Name: "other", APIKeys: []string{otherKey}, APISecret: otherSecret},
		},
		Store:   st,
		Peppers: []string{testPepper},
		Issuer:  testIssuer,
		Hash:    cheapHash,
		Now:     clock.Now,
	}
	for _, m := range mutate {
		m(&cfg)
	}
	gw, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.Close() })
	env := &testEnv{t: t, gw: gw, store: st, clock: clock, upstream: &recorder{}, cfg: cfg}
	env.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := gw.Handle(w, r); !ok {
			return
		}
		env.upstream.record(r.Header)
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "upstream")
	}))
	t.Cleanup(env.srv.Close)
	return env
}

// response is a decoded API response.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (r response) code() int {
	if v, ok := r.body["ErrorCode"].(float64); ok {
		return int(v)
	}
	return 0
}

func (r response) str(key string) string {
	s, _ := r.body[key].(string)
	return s
}

// do sends a request; body may be a string (sent as is) or any value
// (JSON-encoded).
func (e *testEnv) do(method, path string, body any, header ...string) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &out.body)
	return out
}

// createAccount makes an account through the management API and returns
// its uid. pin may be "" for none.
func (e *testEnv) createAccount(email, pin string) string {
	e.t.Helper()
	body := map[string]any{
		"Email":     []map[string]string{{"Type": "Primary", "Value": email}},
		"Password":  testPass,
		"FirstName": "Alice", "LastName": "Smith",
		"Roles": []string{"user", "admin"},
	}
	if pin != "" {
		body["PINInfo"] = map[string]string{"PIN": pin}
	}
	r := e.do("POST", "/identity/v2/manage/account?apikey="+testKey+"&apisecret="+testSecret, body)
	if r.status != 200 || r.str("Uid") == "" {
		e.t.Fatalf("create account: %d %s", r.status, r.raw)
	}
	return r.str("Uid")
}

// passwordLogin logs in with the password and returns the response.
func (e *testEnv) passwordLogin(email, password string) response {
	e.t.Helper()
	return e.do("POST", "/identity/v2/auth/login?apikey="+testKey, map[string]string{"email": email, "password": password})
}

// pinLogin logs in with a session token and PIN.
func (e *testEnv) pinLogin(sessionToken, pin string) response {
	e.t.Helper()
	return e.do("POST", "/identity/v2/auth/login/pin?apikey="+testKey+"&session_token="+sessionToken, map[string]string{"pin": pin})
}

// loggedIn creates an account with a PIN and returns a password login
// response (access token, session token).
func (e *testEnv) loggedIn(email string) response {
	e.t.Helper()
	e.createAccount(email, testPIN)
	r := e.passwordLogin(email, testPass)
	if r.status != 200 {
		e.t.Fatalf("password login: %d %s", r.status, r.raw)
	}
	return r
}

// protected calls the protected path with a bearer token ("" for none).
func (e *testEnv) protected(token string, header ...string) response {
	e.t.Helper()
	if token != "" {
		header = append(header, "Authorization", "Bearer "+token)
	}
	return e.do("GET", "/app/data", nil, header...)
}

// attempts reads an account's lock state from the store.
func (e *testEnv) attempts(uid string) store.Attempts {
	e.t.Helper()
	a, _, err := e.store.Attempts(e.t.Context(), store.AccountRef{Tenant: "demo", UID: uid})
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}
