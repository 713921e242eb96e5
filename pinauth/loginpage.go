package pinauth

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// LoginPage configures the built-in login page, served by the gateway for
// browsers of apps that have no login UI of their own. A nil
// Config.LoginPage disables it.
type LoginPage struct {
	// Path is where the page is served (its sub-paths too: /login/pin,
	// /login/logout, /login/assets/…). Default: "/login".
	Path string
	// Tenant names the tenant the page logs users into. A page belongs to
	// one site, so it serves one tenant. Default: the first tenant.
	Tenant string
	// TemplateDir, when set, is a directory whose files replace the
	// embedded templates and assets of the same name (layout.html,
	// login.html, pin.html, setpin.html, logout.html, message.html,
	// style.css, app.js); other .css, .js, .png, .svg, .ico and .woff2
	// files in it are served as extra assets. Default: none.
	TemplateDir string
	// Cookie names and scopes the page's cookies.
	Cookie Cookie
}

// Cookie configures the login page's cookies. They are always HttpOnly,
// SameSite=Lax and Path=/, and never forwarded upstream.
type Cookie struct {
	// Name is the session cookie's name; the PIN-device and CSRF cookies
	// add "-pin" and "-csrf". When the cookies are Secure the name gets
	// the __Host- prefix (no Domain) or __Secure- (with Domain).
	// Default: "pinauth".
	Name string
	// Domain, when set, shares the cookies with subdomains. Default: none
	// (host-only).
	Domain string
	// Insecure drops the Secure attribute, for plain-HTTP development
	// only. Default: false.
	Insecure bool
}

// DefaultLoginPath is where the login page is served by default.
const DefaultLoginPath = "/login"

// defaultCookieName is the session cookie's base name.
const defaultCookieName = "pinauth"

// withDefaults validates the page config against the gateway's and fills
// the defaults.
func (lp LoginPage) withDefaults(c *Config) (LoginPage, error) {
	if lp.Path == "" {
		lp.Path = DefaultLoginPath
	}
	if !strings.HasPrefix(lp.Path, "/") || strings.ContainsAny(lp.Path, "*?#%\\ \t") {
		return lp, fmt.Errorf("pinauth: login_page: path %q must be a plain path starting with /", lp.Path)
	}
	lp.Path = "/" + strings.Trim(lp.Path, "/")
	if lp.Path == "/" {
		return lp, errors.New("pinauth: login_page: path must not be /")
	}
	if hasPathPrefixFold(lp.Path, c.APIPrefix) || lp.Path == JWKSPath {
		return lp, fmt.Errorf("pinauth: login_page: path %q overlaps the API", lp.Path)
	}
	if lp.Tenant == "" {
		lp.Tenant = c.Tenants[0].Name
	}
	found := false
	for _, t := range c.Tenants {
		found = found || t.Name == lp.Tenant
	}
	if !found {
		return lp, fmt.Errorf("pinauth: login_page: tenant %q is not configured", lp.Tenant)
	}
	if lp.Cookie.Name == "" {
		lp.Cookie.Name = defaultCookieName
	}
	if !isCookieName(lp.Cookie.Name) || strings.HasPrefix(lp.Cookie.Name, "__") {
		return lp, fmt.Errorf("pinauth: cookie: name %q is not a valid cookie name (letters, digits, - and _; no __ prefix)", lp.Cookie.Name)
	}
	if d := lp.Cookie.Domain; d != "" && (strings.ContainsAny(d, " ;,/:") || strings.Trim(d, ".") == "") {
		return lp, fmt.Errorf("pinauth: cookie: domain %q is not a host name", d)
	}
	return lp, nil
}

func isCookieName(s string) bool {
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return s != ""
}

// loginPage serves the login page. It calls the core's API handlers
// directly (no HTTP round trip), so the page and the API share validation,
// lockout, captcha and webhooks.
type loginPage struct {
	g      *Gateway
	cfg    LoginPage
	tenant *Tenant
	path   string
	cookie cookieNames
	keys   pageKeys
	views  *views
	flight refreshFlights
}

// newLoginPage builds the page of g, or returns nil when none is
// configured.
func newLoginPage(g *Gateway) (*loginPage, error) {
	if g.cfg.LoginPage == nil {
		return nil, nil
	}
	lp := *g.cfg.LoginPage
	p := &loginPage{g: g, cfg: lp, path: lp.Path, cookie: newCookieNames(lp.Cookie)}
	for i := range g.cfg.Tenants {
		if g.cfg.Tenants[i].Name == lp.Tenant {
			p.tenant = &g.cfg.Tenants[i]
		}
	}
	p.keys = newPageKeys(g.peppers)
	var err error
	if p.views, err = loadViews(lp.TemplateDir, p.path); err != nil {
		return nil, err
	}
	p.flight.m = map[string]*refreshFlight{}
	return p, nil
}

// owns reports whether the page serves path p.
func (p *loginPage) owns(path string) bool {
	return path == p.path || strings.HasPrefix(path, p.path) && path[len(p.path)] == '/'
}

// serve routes a request under the page's path.
func (p *loginPage) serve(w http.ResponseWriter, r *http.Request) {
	sub := strings.TrimPrefix(r.URL.Path, p.path)
	if name, ok := strings.CutPrefix(sub, "/assets/"); ok {
		p.views.serveAsset(w, r, name)
		return
	}
	get := r.Method == http.MethodGet || r.Method == http.MethodHead
	post := r.Method == http.MethodPost
	switch {
	case (sub == "" || sub == "/") && get:
		p.showLogin(w, r)
	case (sub == "" || sub == "/") && post:
		p.postPassword(w, r)
	case sub == "/pin" && post:
		p.postPIN(w, r)
	case sub == "/setpin" && post:
		p.postSetPIN(w, r)
	case sub == "/logout" && get:
		p.showLogout(w, r)
	case sub == "/logout" && post:
		p.postLogout(w, r)
	case sub == "" || sub == "/" || sub == "/pin" || sub == "/setpin" || sub == "/logout":
		w.Header().Set("Allow", "GET, HEAD, POST")
		p.message(w, r, http.StatusMethodNotAllowed, "Not allowed", "This page does not accept that kind of request.")
	default:
		p.message(w, r, http.StatusNotFound, "Page not found", "There is nothing at this address.")
	}
}
