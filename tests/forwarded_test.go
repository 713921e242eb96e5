package tests

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// startRawGateway starts Caddy with one pin_auth site in front of a raw
// upstream, with Caddy's debug log on (reverse_proxy then logs every
// upstream round trip), and returns both.
func startRawGateway(t *testing.T, extra string) (*gateway, *rawUpstream) {
	t.Helper()
	raw := newRawUpstream(t)
	s := newSite(t, "\treverse_proxy "+raw.addr())
	s.Extra = extra
	conf := strings.Replace(caddyfile(t, s), "{\n", "{\n\tdebug\n", 1)
	g := &gateway{t: t, site: s, base: baseURL(s.Port), log: &responseLog{}}
	g.proc = startCaddy(t, conf, []string{g.base + "/.well-known/jwks.json"})
	return g, raw
}

// lastRaw returns the last request the raw upstream received.
func lastRaw(t *testing.T, raw *rawUpstream) rawRequestSeen {
	t.Helper()
	reqs := raw.requests()
	if len(reqs) == 0 {
		t.Fatal("the upstream received nothing")
	}
	return reqs[len(reqs)-1]
}

// headerLines returns the lines of a header or trailer block whose name
// an app could read as name (any case, '_' or '.' for '-').
func headerLines(lines []string, name string) []string {
	norm := func(s string) string {
		return strings.NewReplacer("_", "-", ".", "-").Replace(strings.ToLower(strings.TrimSpace(s)))
	}
	var out []string
	for _, l := range lines {
		if n, _, ok := strings.Cut(l, ":"); ok && norm(n) == norm(name) {
			out = append(out, l)
		}
	}
	return out
}

func TestOnlyTheVerifiedTokenAndTheGatewaysIdentityReachTheUpstream(t *testing.T) {
	t.Parallel()
	g, raw := startRawGateway(t, "public /pub/\nheader_preset authelia")
	login, uid := g.loggedIn()
	access := login.str("access_token")
	other := g.passwordLogin().str("access_token")
	if r := g.do("GET", apiPrefix+"/auth/access_token/invalidate?apikey="+g.key()+"&access_token="+other, nil); r.status != 200 {
		t.Fatalf("revoking the second token: %d %s", r.status, r.raw)
	}
	host := g.hostHeader()

	t.Run("a second Authorization header never rides along", func(t *testing.T) {
		g := g.in(t)
		r := g.raw(rawRequest("GET", "/app/a", host, []string{"Authorization: Bearer " + access, "Authorization: Bearer " + other}, ""))
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		if got := headerLines(lastRaw(t, raw).HeaderLines, "Authorization"); len(got) != 1 || got[0] != "Authorization: Bearer "+access {
			t.Errorf("the upstream got %q, want only the verified token", got)
		}
	})

	t.Run("a query access_token is never forwarded nor logged by reverse_proxy", func(t *testing.T) {
		g := g.in(t)
		r := g.raw(rawRequest("GET", "/app/q?a=1&access_token="+access+"&b=%2F", host, nil, ""))
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		seen := lastRaw(t, raw)
		if seen.Line != "GET /app/q?a=1&b=%2F HTTP/1.1" {
			t.Errorf("the upstream got %q", seen.Line)
		}
		if got := headerLines(seen.HeaderLines, "Authorization"); len(got) != 1 || got[0] != "Authorization: Bearer "+access {
			t.Errorf("the upstream got %q, want the verified token", got)
		}
		logs := g.proc.Logs()
		if !strings.Contains(logs, "upstream roundtrip") {
			t.Fatal("reverse_proxy logged no round trip: the debug log is off, so this proves nothing")
		}
		if strings.Contains(logs, access) {
			t.Error("the access token is in Caddy's log")
		}
	})

	t.Run("Connection cannot remove the headers the gateway set", func(t *testing.T) {
		g := g.in(t)
		r := g.raw(rawRequest("GET", "/app/c", host, []string{
			"Authorization: Bearer " + access,
			"Connection: X-Auth-Uid, x-auth-roles, X-Auth-Tenant",
			"Connection: Remote-User, Remote-Groups, Authorization, X-Auth-Session",
		}, ""))
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		h := lastRaw(t, raw).Header
		for name, want := range map[string]string{
			"X-Auth-Uid": uid, "X-Auth-Roles": "user,admin", "X-Auth-Tenant": tenantName, "Remote-User": username,
			"Remote-Groups": "user,admin", "Authorization": "Bearer " + access,
		} {
			if got := h.Get(name); got != want {
				t.Errorf("the upstream got %s %q, want %q", name, got, want)
			}
		}
		if h.Get("X-Auth-Session") == "" {
			t.Error("the upstream got no X-Auth-Session")
		}
	})

	for _, c := range []struct{ name, path, auth string }{
		{"identity trailers never reach the upstream (with a token)", "/app/upload", "Authorization: Bearer " + access},
		{"identity trailers never reach the upstream (anonymous, public path)", "/pub/upload", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := "POST " + c.path + " HTTP/1.1\r\nHost: " + host + "\r\n"
			if c.auth != "" {
				req += c.auth + "\r\n"
			}
			req += "Transfer-Encoding: chunked\r\nTrailer: X-Auth-Uid, Remote-User, Authorization, X-App-Sum\r\nConnection: close\r\n\r\n" +
				"5\r\nhello\r\n0\r\nX-Auth-Uid: attacker\r\nx_auth_roles: superuser\r\nRemote-User: attacker\r\n" +
				"Authorization: Bearer forged\r\nX-App-Sum: 42\r\n\r\n"
			r := g.in(t).raw(req)
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.raw)
			}
			seen := lastRaw(t, raw)
			if seen.Body != "hello" {
				t.Fatalf("the upstream got body %q", seen.Body)
			}
			for _, l := range seen.TrailerLines {
				if strings.Contains(l, "attacker") || strings.Contains(l, "superuser") || strings.Contains(l, "forged") {
					t.Errorf("the trailer %q reached the upstream", l)
				}
			}
			if got := headerLines(seen.TrailerLines, "X-App-Sum"); len(got) != 1 {
				t.Errorf("the app's own trailer was lost: %q", seen.TrailerLines)
			}
		})
	}

	t.Run("a refused bearer token does not pass a public path", func(t *testing.T) {
		g := g.in(t)
		r := g.raw(rawRequest("GET", "/pub/page", host, []string{"Authorization: Bearer " + other}, ""))
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		if got := headerLines(lastRaw(t, raw).HeaderLines, "Authorization"); len(got) != 0 {
			t.Errorf("the upstream got the revoked token: %q", got)
		}
	})
}

func TestACustomHeaderPrefixStripsTheDefaultPrefixToo(t *testing.T) {
	t.Parallel()
	g, raw := startRawGateway(t, "header_prefix X-User-")
	login, uid := g.loggedIn()
	r := g.raw(rawRequest("GET", "/app/a", g.hostHeader(), []string{
		"Authorization: Bearer " + login.str("access_token"),
		"X-Auth-Uid: attacker", "x_auth_roles: superuser", "X.Auth.Tenant: attacker", "X-User-Uid: attacker", "x_user_extra: attacker",
	}, ""))
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	seen := lastRaw(t, raw)
	for _, l := range seen.HeaderLines {
		if strings.Contains(l, "attacker") || strings.Contains(l, "superuser") {
			t.Errorf("%q reached the upstream", l)
		}
	}
	if got := seen.Header.Get("X-User-Uid"); got != uid {
		t.Errorf("X-User-Uid = %q, want %s", got, uid)
	}
}

// TestManyDeniedRequestsWithUnsentBodiesAreAllAnswered holds 200
// connections that each sent the headers of a POST to a protected path
// (or to the JWKS) without a token and keep the body back: every one must
// get its answer, and the connection closed, without the body.
func TestManyDeniedRequestsWithUnsentBodiesAreAllAnswered(t *testing.T) {
	t.Parallel()
	g := startGateway(t)
	addr := g.hostHeader()
	const n = 200
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		target := []string{"/app/upload", "/.well-known/jwks.json"}[i%5/4]
		if _, err := fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n", target, addr); err != nil {
			t.Fatal(err)
		}
	}
	// All are held at once; none has sent a byte of its body. 30s is far
	// beyond an answer given at once, and far below "never".
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				errs <- err
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 401 && resp.StatusCode != 404 || !resp.Close {
				errs <- fmt.Errorf("status %d, close %v", resp.StatusCode, resp.Close)
			}
		}()
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if failed++; failed <= 5 {
			t.Error(err)
		}
	}
	if failed > 0 {
		t.Fatalf("%d of %d held requests got no prompt answer", failed, n)
	}
	if r := g.protected("/app/after", ""); r.status != 401 {
		t.Fatalf("after the held requests: %d", r.status)
	}
}
