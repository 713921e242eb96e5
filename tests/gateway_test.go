package tests

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The account most tests create.
const (
	email     = "alice@example.com"
	username  = "alice"
	password  = "e2e correct horse battery staple"
	pin       = "7890"
	apiPrefix = "/identity/v2"
)

// gateway is a running Caddy with one pin_auth site in front of a
// recording upstream, and a client for it.
type gateway struct {
	t    *testing.T
	proc *caddyProc
	site siteConfig
	up   *upstream
	// base is the site's http://127.0.0.1:port.
	base string
	// apiKey and apiSecret are the tenant's; "" means the generated
	// Caddyfiles' demo tenant.
	apiKey, apiSecret string

	// log holds every response received, for leak checks; it is shared
	// by the copies in returns.
	log *responseLog
}

// responseLog is the responses a gateway client received.
type responseLog struct {
	mu        sync.Mutex
	responses []response
}

// in returns a client of the same gateway that reports to t: subtests must
// fail themselves, never their parent.
func (g *gateway) in(t *testing.T) *gateway {
	c := *g
	c.t = t
	return &c
}

// startGateway starts Caddy with one site: pin_auth (cheap hashing, its own
// SQLite file) in front of reverse_proxy to a recording upstream. mutate
// adjusts the site before the Caddyfile is written.
func startGateway(t *testing.T, mutate ...func(*siteConfig)) *gateway {
	t.Helper()
	up := newUpstream(t)
	s := newSite(t, "\treverse_proxy "+up.addr())
	for _, m := range mutate {
		m(&s)
	}
	g := &gateway{t: t, site: s, up: up, base: baseURL(s.Port), log: &responseLog{}}
	g.proc = startCaddy(t, caddyfile(t, s), []string{g.base + "/.well-known/jwks.json"})
	return g
}

// response is one HTTP response with its body decoded when it is JSON.
type response struct {
	status int
	header http.Header
	raw    string
	body   map[string]any
}

func newResponse(resp *http.Response) (response, error) {
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r, err
}

// code is the LoginRadius ErrorCode, 0 when there is none.
func (r response) code() int {
	v, _ := r.body["ErrorCode"].(float64)
	return int(v)
}

func (r response) str(key string) string {
	s, _ := r.body[key].(string)
	return s
}

func (r response) object(key string) map[string]any {
	m, _ := r.body[key].(map[string]any)
	return m
}

// wantError fails the test unless r is the catalogue error code with the
// HTTP status.
func (r response) wantError(t *testing.T, status, code int) {
	t.Helper()
	if r.status != status || r.code() != code {
		t.Fatalf("want %d with ErrorCode %d, got %d %s", status, code, r.status, r.raw)
	}
	for _, k := range []string{"Message", "Description"} {
		if r.str(k) == "" {
			t.Errorf("error body has no %s: %s", k, r.raw)
		}
	}
	if _, ok := r.body["IsProviderError"].(bool); !ok {
		t.Errorf("error body lacks IsProviderError: %s", r.raw)
	}
}

// do sends a request to the site. body is nil, a string or []byte (sent as
// is, with Content-Type application/json) or any other value (sent as
// JSON). header holds name, value pairs.
func (g *gateway) do(method, path string, body any, header ...string) response {
	g.t.Helper()
	return g.doWith(httpClient, method, path, body, header...)
}

// doWith is do through client (one bound to another source address, say).
func (g *gateway) doWith(client *http.Client, method, path string, body any, header ...string) response {
	g.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			g.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(g.t.Context(), method, g.base+path, rd)
	if err != nil {
		g.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		g.t.Fatalf("%s %s: %v", method, path, err)
	}
	r, err := newResponse(resp)
	if err != nil {
		g.t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	g.record(r)
	return r
}

// httpClient never follows redirects, so a test sees what the gateway
// answered.
var httpClient = &http.Client{
	Timeout:       60 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func (g *gateway) record(r response) {
	g.log.mu.Lock()
	g.log.responses = append(g.log.responses, r)
	g.log.mu.Unlock()
}

// seen returns every response the gateway sent this test so far.
func (g *gateway) seen() []response {
	g.log.mu.Lock()
	defer g.log.mu.Unlock()
	return append([]response(nil), g.log.responses...)
}

// raw writes req to the site over a fresh TCP connection exactly as given
// (so header spellings Go's client would normalise reach Caddy untouched)
// and reads one response.
func (g *gateway) raw(req string) response {
	g.t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(g.base, "http://"))
	if err != nil {
		g.t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		g.t.Fatalf("writing the raw request: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		g.t.Fatalf("reading the response to a raw request: %v", err)
	}
	r, err := newResponse(resp)
	if err != nil {
		g.t.Fatalf("reading the body of a raw response: %v", err)
	}
	g.record(r)
	return r
}

// hostHeader is the Host header value for raw requests.
func (g *gateway) hostHeader() string { return strings.TrimPrefix(g.base, "http://") }

// key is the tenant's API key.
func (g *gateway) key() string {
	if g.apiKey != "" {
		return g.apiKey
	}
	return apiKey
}

// manage is the query of a management call.
func (g *gateway) manage() string {
	secret := g.apiSecret
	if secret == "" {
		secret = apiSecret
	}
	return "apikey=" + g.key() + "&apisecret=" + secret
}

// createAccount creates the test account through the management API and
// returns its Uid; pin "" creates it without a PIN.
func (g *gateway) createAccount(pin string) string {
	g.t.Helper()
	body := map[string]any{
		"Email":     []map[string]string{{"Type": "Primary", "Value": email}},
		"Password":  password,
		"UserName":  username,
		"FirstName": "Alice",
		"LastName":  "Smith",
		"Roles":     []string{"user", "admin"},
	}
	if pin != "" {
		body["PINInfo"] = map[string]string{"PIN": pin}
	}
	r := g.do("POST", apiPrefix+"/manage/account?"+g.manage(), body)
	if r.status != 200 || r.str("Uid") == "" {
		g.t.Fatalf("create account: %d %s", r.status, r.raw)
	}
	return r.str("Uid")
}

// passwordLogin logs the test account in with its password.
func (g *gateway) passwordLogin() response {
	g.t.Helper()
	return g.do("POST", apiPrefix+"/auth/login?apikey="+g.key(),
		map[string]string{"email": email, "password": password})
}

// pinLogin logs in with a PIN session token.
func (g *gateway) pinLogin(sessionToken, pin string) response {
	g.t.Helper()
	return g.do("POST", apiPrefix+"/auth/login/pin?apikey="+g.key()+"&session_token="+sessionToken,
		map[string]string{"pin": pin})
}

// setPIN sets a first PIN with the PINAuthToken of a 1243 response.
func (g *gateway) setPIN(pinAuthToken, pin string) response {
	g.t.Helper()
	return g.do("POST", apiPrefix+"/auth/pin/set/pinauthtoken?apikey="+g.key()+"&pinauthtoken="+pinAuthToken,
		map[string]string{"pin": pin})
}

// loggedIn creates the account with a PIN and logs in with the password,
// returning the response (access_token, session_token) and the Uid.
func (g *gateway) loggedIn() (response, string) {
	g.t.Helper()
	uid := g.createAccount(pin)
	r := g.passwordLogin()
	if r.status != 200 || r.str("access_token") == "" || r.str("session_token") == "" {
		g.t.Fatalf("password login: %d %s", r.status, r.raw)
	}
	return r, uid
}

// protected calls a path behind the gate with a bearer token ("" for
// none).
func (g *gateway) protected(path, token string, header ...string) response {
	g.t.Helper()
	if token != "" {
		header = append(header, "Authorization", "Bearer "+token)
	}
	return g.do("GET", path, nil, header...)
}

// rawRequestLine builds a raw HTTP/1.1 request with a body.
func rawRequest(method, target, host string, headers []string, body string) string {
	var b strings.Builder
	b.WriteString(method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\n")
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	if body != "" || method == "POST" || method == "PUT" {
		b.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n")
	}
	b.WriteString("Connection: close\r\n\r\n")
	b.WriteString(body)
	return b.String()
}
