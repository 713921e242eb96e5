package tests

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/internal/pathoracle"
)

// corpusPublic are the public rules of the path corpus: an exact path, a
// directory, a prefix, and a file.
var corpusPublic = []string{"/healthz", "/static/", "/assets*", "/favicon.ico"}

// corpusAnchors are where the corpus tries to break out of, or into: the
// public rules, and the API prefix, which the gateway serves itself.
var corpusAnchors = []string{"/healthz", "/static", "/assets", "/favicon.ico", apiPrefix}

// The spellings of "..", of "/", and of whatever ends a segment, in the
// path-confusion classes: percent-encoding in both cases, double
// encoding, overlong UTF-8 (2 and 3 bytes), IIS's %u, fullwidth forms,
// backslashes, ;parameters, NUL and trailing spaces.
var (
	corpusDots = []string{
		"..", "%2e%2e", "%2E%2E", ".%2e", "%2e.", "%252e%252e", "%c0%ae%c0%ae", "%C0%AE%C0%AE",
		"%e0%80%ae%e0%80%ae", "%u002e%u002e", "%ef%bc%8e%ef%bc%8e", "..;", "..;x=1", "..%00", "..%20",
		"...", "..%09", "%2e%2e%3b",
	}
	corpusSlashes = []string{
		"/", "%2f", "%2F", "%252f", `\`, "%5c", "%5C", "%255c", "%c0%af", "%e0%80%af", "%u2215",
		"%ef%bc%8f", ";/", "//", "/./", "%2f%2e%2f",
	}
)

// pathCorpus returns request-targets drawn from the known path-confusion
// classes, crossed with the anchors. Each either steps out of a public
// anchor to /admin, or reaches for an anchor from /admin, or spells the
// anchor itself another way (case, trailing dots and spaces, repeated
// separators, ;parameters, absolute form, length).
func pathCorpus() []string {
	var c []string
	add := func(s ...string) { c = append(c, s...) }
	for _, a := range corpusAnchors {
		name := a[1:]
		for _, d := range corpusDots {
			for _, sl := range []string{"/", "%2f"} {
				add(a+sl+d+sl+"admin", "/admin"+sl+d+sl+name)
			}
		}
		for _, sl := range corpusSlashes {
			for _, d := range []string{"..", "%2e%2e"} {
				add(a+sl+d+sl+"admin", "/admin"+sl+d+sl+name)
			}
		}
		add(
			// ;parameters (Tomcat, Jetty, Spring drop them per segment)
			a+";", a+";x=1", a+";/../admin", a+"/..;/admin", "/admin;/../"+name, "/admin/..;"+a,
			a+"%3b/../admin", a+"%3B",
			// case
			strings.ToUpper(a), strings.ToUpper(a[:2])+a[2:], a+"/../ADMIN",
			// trailing dots, spaces and Windows stream names
			a+".", a+"..", a+"%2e", a+"%20", a+"%20.", a+".%20", a+"::$DATA", a+"%09", a+"/.", a+"/..",
			// repeated and other separators
			"/"+a, "//"+a, "/./"+name, a+"/./", a+"//../admin", strings.Replace(a, "/", `\`, 1),
			// control characters, NUL, '#' and '?' inside the path
			a+"%00", a+"%00/../../admin", a+"%0d%0aX-Auth-Uid:%20x", a+"#/../admin", a+"%23/../admin",
			a+"%3f/../admin", a+"?/../admin",
			// needless and lower-case escapes
			"/%"+strconv.FormatInt(int64(name[0]), 16)+name[1:], a+"/%61dmin",
			// absolute-form and other request-target forms
			"http://gateway.test"+a+"/../admin", "http://gateway.test/admin/../"+name, "HTTPS://gateway.test"+a+"/%2e%2e/admin",
			"http:"+a+"/../admin", "http://gateway.test", "http://gateway.test"+a,
			// very long
			a+"/"+strings.Repeat("a", 5000), a+strings.Repeat("/..", 300)+"/admin", a+"/"+strings.Repeat("x/", 2100)+"y",
		)
	}
	add("*", "/admin", "/", "/.well-known/jwks.json/../../admin", "/.well-known%2fjwks.json%2f..%2f..%2fadmin")
	slices.Sort(c)
	return slices.Compact(c)
}

// canonicalPublic are requests that must still reach the upstream
// anonymously, byte for byte: the gate must not be safe by being shut.
var canonicalPublic = []string{
	"/healthz", "/healthz?probe=1", "/favicon.ico", "/static", "/static/", "/static/app.css",
	"/static/img/a%20b.png", "/static/a(1)~b_c-d.js", "/assets", "/assets.js", "/assets/x/y.js",
}

// TestPathCorpusNeverReachesTheUpstreamAnonymouslyAtAPathThatIsNotPublic
// sends every form of the corpus, without a token, through real Caddy to
// a raw upstream that records the exact request line. Property: whatever
// reaches the upstream is public however the upstream reads its path
// (internal/pathoracle: raw, decoded once or twice, with backslashes,
// without ;parameters, overlong UTF-8, %u, fullwidth, Windows trimming,
// any case, cut at NUL, '#' or '?').
func TestPathCorpusNeverReachesTheUpstreamAnonymouslyAtAPathThatIsNotPublic(t *testing.T) {
	t.Parallel()
	raw := newRawUpstream(t)
	g := startGateway(t, func(s *siteConfig) {
		s.Extra = "public " + strings.Join(corpusPublic, " ")
		s.Then = "\treverse_proxy " + raw.addr()
	})
	corpus := pathCorpus()
	if len(corpus) < 150 {
		t.Fatalf("the corpus has %d forms, want at least 150", len(corpus))
	}
	targets := append(slices.Clone(canonicalPublic), corpus...)
	statuses := sendCorpus(t, g.hostHeader(), targets)
	reached := checkCorpusReached(t, targets, statuses, raw.requests())
	t.Logf("%d forms (%d corpus), %d reached the upstream", len(targets), len(corpus), reached)
}

// checkCorpusReached checks what of targets (sent by sendCorpus, with the
// statuses it returned) reached the raw upstream anonymously (seen): only
// paths that are public however the upstream reads them, answered 200,
// without identity headers, and every canonical public path byte for
// byte. It returns how many reached it.
func checkCorpusReached(t *testing.T, targets []string, statuses []int, seen []rawRequestSeen) int {
	t.Helper()
	byID := map[string]rawRequestSeen{}
	for _, s := range seen {
		byID[s.Header.Get("X-Corpus")] = s
	}
	reached := 0
	for i, target := range targets {
		seen, ok := byID[strconv.Itoa(i)]
		if !ok {
			if slices.Contains(canonicalPublic, target) {
				t.Errorf("canonical public %q did not reach the upstream (%d)", target, statuses[i])
			}
			continue
		}
		reached++
		if statuses[i] != 200 {
			t.Errorf("%q reached the upstream but the client got %d", target, statuses[i])
		}
		got := seen.Target()
		if slices.Contains(canonicalPublic, target) && got != target {
			t.Errorf("canonical public %q reached the upstream as %q", target, got)
		}
		path, _, _ := strings.Cut(got, "?")
		if v := pathoracle.Violations(corpusPublic, path); len(v) != 0 {
			t.Errorf("anonymous %q reached the upstream as %q, not public when read as:\n\t%s",
				target, got, strings.Join(v, "\n\t"))
		}
		if len(identityHeaders(httpHeader(seen.Header))) != 0 {
			t.Errorf("%q reached the upstream with identity headers", target)
		}
	}
	return reached
}

// httpHeader converts a textproto header.
func httpHeader(h map[string][]string) http.Header { return http.Header(h) }

// sendCorpus sends each target as a raw GET, tagged with its index in
// X-Corpus, and returns the status of each answer (0 when the connection
// closed without one).
func sendCorpus(t *testing.T, host string, targets []string) []int {
	t.Helper()
	statuses := make([]int, len(targets))
	next := make(chan int)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				statuses[i] = sendRaw(host, "GET "+targets[i]+" HTTP/1.1\r\nHost: "+host+
					"\r\nX-Corpus: "+strconv.Itoa(i)+"\r\nConnection: close\r\n\r\n")
			}
		}()
	}
	for i := range targets {
		next <- i
	}
	close(next)
	wg.Wait()
	return statuses
}

// sendRaw writes req to addr and returns the answer's status, 0 for none.
func sendRaw(addr, req string) int {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return 0
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		return 0
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
