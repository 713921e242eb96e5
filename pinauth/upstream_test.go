package pinauth

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/identityheaders"
)

// handled runs r through the gateway and reports whether it passes on.
func handled(e *testEnv, r *http.Request) (*httptest.ResponseRecorder, bool) {
	w := httptest.NewRecorder()
	_, ok := e.gw.Handle(w, r)
	return w, ok
}

func TestAQueryAccessTokenNeverTravelsUpstream(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, func(c *Config) { c.Public = []string{"/pub/"} })
	tok := e.loggedIn(testEmail).str("access_token")
	for _, c := range []struct{ query, want string }{
		{"access_token=" + tok, ""},
		{"a=1&access_token=" + tok + "&b=%2F2", "a=1&b=%2F2"},
		{"access_token=" + tok + "&Access_Token=x&ACCESS_TOKEN=y&access%5Ftoken=z&acce%C5%BF%C5%BF_token=s&c", "c"},
		{"access_token=" + tok + "&x=1;access_token=z&y", "y"},
	} {
		r := httptest.NewRequest("GET", "/app/data?"+c.query, nil)
		if w, ok := handled(e, r); !ok {
			t.Fatalf("?%s: denied: %d %s", c.query, w.Code, w.Body)
		}
		if r.URL.RawQuery != c.want {
			t.Errorf("?%s: the upstream gets ?%s, want ?%s", c.query, r.URL.RawQuery, c.want)
		}
		if strings.Contains(r.RequestURI, tok) {
			t.Errorf("?%s: the token stays in RequestURI, which the handlers after the gateway log", c.query)
		}
		if got := r.Header.Values("Authorization"); len(got) != 1 || got[0] != "Bearer "+tok {
			t.Errorf("?%s: Authorization %q, want the verified token", c.query, got)
		}
	}
	// A public path passes a bad query token as anonymous: it goes too.
	r := httptest.NewRequest("GET", "/pub/x?access_token=not-a-token&keep=1", nil)
	if _, ok := handled(e, r); !ok {
		t.Fatal("public path with a bad query token denied")
	}
	if r.URL.RawQuery != "keep=1" {
		t.Errorf("public path: the upstream gets ?%s, want ?keep=1", r.URL.RawQuery)
	}
}

func TestOnlyTheVerifiedTokenTravelsUpstream(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, func(c *Config) { c.Public = []string{"/pub/"} })
	tok := e.loggedIn(testEmail).str("access_token")
	other := e.passwordLogin(testEmail, testPass).str("access_token")
	if r := e.do("GET", "/identity/v2/auth/access_token/invalidate?apikey="+testKey+"&access_token="+other, nil); r.status != 200 {
		t.Fatalf("revoking the second token: %d %s", r.status, r.raw)
	}

	r := httptest.NewRequest("GET", "/app/data", nil)
	r.Header["Authorization"] = []string{"Bearer " + tok, "Bearer " + other}
	if w, ok := handled(e, r); !ok {
		t.Fatalf("denied: %d %s", w.Code, w.Body)
	}
	if got := r.Header.Values("Authorization"); len(got) != 1 || got[0] != "Bearer "+tok {
		t.Errorf("the upstream gets Authorization %q, want only the verified token", got)
	}

	// Anonymous on a public path: a refused bearer token (revoked here)
	// never reaches an app that verifies tokens itself; Basic is the app's.
	r = httptest.NewRequest("GET", "/pub/page", nil)
	r.Header["Authorization"] = []string{"Bearer " + other, "Basic YTpi"}
	if w, ok := handled(e, r); !ok {
		t.Fatalf("public path denied: %d %s", w.Code, w.Body)
	}
	if got := r.Header.Values("Authorization"); len(got) != 1 || got[0] != "Basic YTpi" {
		t.Errorf("public path: the upstream gets Authorization %q, want only the Basic credential", got)
	}
}

// dropConnectionHeaders is what reverse_proxy does to every request after
// the gateway ran: delete the headers its Connection header names.
func dropConnectionHeaders(h http.Header) {
	for _, v := range h["Connection"] {
		for opt := range strings.SplitSeq(v, ",") {
			if opt = textproto.TrimString(opt); opt != "" {
				h.Del(opt)
			}
		}
	}
	h.Del("Connection")
}

func TestAConnectionHeaderCannotRemoveTheIdentityTheGatewaySet(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, func(c *Config) { c.HeaderPreset = identityheaders.PresetAuthelia })
	tok := e.loggedIn(testEmail).str("access_token")
	r := httptest.NewRequest("GET", "/app/data", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	r.Header["Connection"] = []string{"X-Auth-Uid, x-auth-roles", "keep-alive, X-AUTH-TENANT, Authorization, Remote-User, Remote-Groups, X-App-Hop"}
	if w, ok := handled(e, r); !ok {
		t.Fatalf("denied: %d %s", w.Code, w.Body)
	}
	if got := r.Header.Get("Connection"); got != "keep-alive, X-App-Hop" {
		t.Errorf("Connection = %q, want the options that name no identity header", got)
	}
	r.Header.Set("X-App-Hop", "1")
	dropConnectionHeaders(r.Header)
	for _, name := range []string{"X-Auth-Uid", "X-Auth-Roles", "X-Auth-Tenant", "Authorization", "Remote-User", "Remote-Groups"} {
		if r.Header.Get(name) == "" {
			t.Errorf("%s did not survive the proxy's hop-by-hop removal", name)
		}
	}
	if r.Header.Get("X-App-Hop") != "" {
		t.Error("the client's own hop-by-hop header was kept")
	}
}

func TestACustomHeaderPrefixAlsoStripsTheDefaultOne(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, func(c *Config) { c.HeaderPrefix = "X-User-" })
	tok := e.loggedIn(testEmail).str("access_token")
	r := httptest.NewRequest("GET", "/app/data", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	for _, name := range []string{"X-Auth-Uid", "x_auth_roles", "X.Auth.Tenant", "X-User-Uid", "X-User-Extra"} {
		r.Header[name] = []string{"attacker"}
	}
	if w, ok := handled(e, r); !ok {
		t.Fatalf("denied: %d %s", w.Code, w.Body)
	}
	for name, vals := range r.Header {
		for _, v := range vals {
			if v == "attacker" {
				t.Errorf("%s: attacker reached the upstream", name)
			}
		}
	}
	if r.Header.Get("X-User-Uid") == "" {
		t.Error("the custom prefix's identity was not set")
	}
}

func TestIdentityTrailersNeverReachTheUpstream(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, func(c *Config) { c.Public = []string{"/pub/"} })
	tok := e.loggedIn(testEmail).str("access_token")
	type seen struct {
		body    string
		trailer http.Header
	}
	got := make(chan seen, 1)
	// A real net/http server, as Caddy's: the upstream reads the body
	// after the gateway ran, which is when net/http fills the trailers.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := e.gw.Handle(w, r); !ok {
			return
		}
		b, _ := io.ReadAll(r.Body)
		got <- seen{string(b), r.Trailer.Clone()}
	}))
	defer srv.Close()
	for _, c := range []struct{ name, path, auth string }{
		{"with a token", "/app/data", "Authorization: Bearer " + tok + "\r\n"},
		{"anonymous on a public path", "/pub/upload", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := "POST " + c.path + " HTTP/1.1\r\nHost: x\r\n" + c.auth +
				"Transfer-Encoding: chunked\r\nTrailer: X-Auth-Uid, X-Auth-Roles, Authorization, X-App-Sum\r\nConnection: close\r\n\r\n" +
				"5\r\nhello\r\n0\r\nX-Auth-Uid: attacker\r\nx-auth-roles: superuser\r\nX_Auth_Tenant: evil\r\nRemote-User: attacker\r\n" +
				"Authorization: Bearer forged\r\nX-App-Sum: 42\r\n\r\n"
			resp, _ := rawExchange(t, srv.Listener.Addr().String(), req, "", 30*time.Second)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			s := <-got
			if s.body != "hello" {
				t.Fatalf("body %q", s.body)
			}
			for name := range s.trailer {
				if name != "X-App-Sum" {
					t.Errorf("trailer %s reached the upstream", name)
				}
			}
			if s.trailer.Get("X-App-Sum") != "42" {
				t.Errorf("the app's own trailer was lost: %v", s.trailer)
			}
		})
	}
}

// The query token's name is matched as the API matches it, so every
// spelling the API would take for a token is removed, and nothing else.
func TestDropAccessTokenQueryKeepsEveryOtherPairByteForByte(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                                    "",
		"a=1&b=2":                             "a=1&b=2",
		"tokens=1&my_access_token=2":          "tokens=1&my_access_token=2",
		"x=%ZZ&access_token=1":                "x=%ZZ",
		"a=1&&access_token=&b":                "a=1&&b",
		"%61ccess_token=1&a=%26":              "a=%26",
		"access_tokenx=1&access_token":        "access_tokenx=1",
		"a=caf%C3%A9&ACCESS_TOKEN=1&z=%2B%20": "a=caf%C3%A9&z=%2B%20",
	} {
		r := &http.Request{URL: &url.URL{Path: "/app", RawQuery: in}, RequestURI: "/app?" + in}
		dropAccessTokenQuery(r)
		if r.URL.RawQuery != want {
			t.Errorf("?%s → ?%s, want ?%s", in, r.URL.RawQuery, want)
		}
		if r.RequestURI != r.URL.RequestURI() && r.URL.RawQuery != in {
			t.Errorf("?%s: RequestURI %s does not follow the URL", in, r.RequestURI)
		}
	}
}
