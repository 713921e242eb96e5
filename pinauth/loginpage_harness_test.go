package pinauth

import (
	"github.com/pinauth/caddy-pinauth/pinauth/loginpage"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// withLoginPage enables the login page with default settings; mutate
// adjusts it.
func withLoginPage(mutate ...func(*loginpage.Config)) func(*Config) {
	return func(c *Config) {
		lp := &loginpage.Config{}
		for _, m := range mutate {
			m(lp)
		}
		c.LoginPage = lp
	}
}

// browser is a minimal cookie-keeping client for the login page. It keeps
// cookies itself (a cookie jar would not send Secure cookies over the
// test's plain HTTP) and never follows redirects, so tests see each step.
type browser struct {
	t       testing.TB
	e       *testEnv
	cookies map[string]string
	// host, when set, is the Host of every request; lang its
	// Accept-Language.
	host, lang string
}

func newBrowser(t testing.TB, e *testEnv) *browser {
	return &browser{t: t, e: e, cookies: map[string]string{}}
}

// page is one response as the browser saw it.
type page struct {
	status  int
	header  http.Header
	body    string
	setCook []*http.Cookie
}

func (b *browser) do(method, path string, form url.Values, header ...string) page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.e.srv.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if b.host != "" {
		req.Host = b.host
	}
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	for name, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: v})
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	p := page{status: resp.StatusCode, header: resp.Header, body: string(raw), setCook: resp.Cookies()}
	for _, c := range p.setCook {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	return p
}

func (b *browser) get(path string, header ...string) page { return b.do("GET", path, nil, header...) }

func (b *browser) post(path string, form url.Values, header ...string) page {
	return b.do("POST", path, form, header...)
}

var hiddenRE = regexp.MustCompile(`<input type="hidden" name="([a-z]+)" value="([^"]*)">`)

// hidden returns the page's hidden form fields.
func (p page) hidden() url.Values {
	v := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(p.body, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	return v
}

// submit posts the page's form fields plus extra (name, value pairs).
func (b *browser) submit(from page, path string, extra ...string) page {
	b.t.Helper()
	form := from.hidden()
	for i := 0; i+1 < len(extra); i += 2 {
		form.Set(extra[i], extra[i+1])
	}
	return b.post(path, form)
}

// cookie returns the Set-Cookie of the named cookie in p, or nil.
func (p page) cookie(name string) *http.Cookie {
	for _, c := range p.setCook {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// alert returns the text of the page's alert region.
func (p page) alert() string {
	_, rest, ok := strings.Cut(p.body, `role="alert" aria-live="assertive">`)
	if !ok {
		return ""
	}
	text, _, _ := strings.Cut(rest, "</p>")
	return html.UnescapeString(text)
}

// openSession opens a session cookie value (of the default cookie name)
// the way the page reads it.
func openSession(p *loginpage.Page, value string) (*loginpage.Session, bool) {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Cookie", sessionCookie+"="+value)
	bs := p.Session(r)
	return bs, bs != nil
}

// sessionOf opens a session cookie value in a test.
func sessionOf(t *testing.T, p *loginpage.Page, value string) *loginpage.Session {
	t.Helper()
	bs, ok := openSession(p, value)
	if !ok {
		t.Fatal("the session cookie does not open")
	}
	return bs
}

// passwordLogin runs the password form from a fresh GET of the login page.
func (b *browser) passwordLogin(query, ident, password string) page {
	b.t.Helper()
	form := b.get("/login" + query)
	if form.status != 200 || !strings.Contains(form.body, `name="password"`) {
		b.t.Fatalf("login page: want the password form, got %d %s", form.status, form.body)
	}
	return b.submit(form, "/login", "identifier", ident, "password", password)
}
