package loginpage

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Config configures the built-in login page, served by the gateway for
// browsers of apps that have no login UI of their own.
type Config struct {
	// Path is where the page is served (its sub-paths too: /login/pin,
	// /login/logout, /login/assets/…). Default: "/login".
	Path string
	// Tenant names the tenant the page logs users into. A page belongs to
	// one site, so it serves one tenant. Default: the first tenant.
	Tenant string
	// TemplateDir, when set, is a directory whose files replace the
	// embedded templates and assets of the same name (layout.html,
	// login.html, pin.html, setpin.html, logout.html, message.html,
	// forgot.html, reset.html, forgotpin.html, style.css, app.js);
	// other .css, .js, .png, .svg, .ico and .woff2 files in it are
	// served as extra assets. Default: none.
	TemplateDir string
	// Cookie names and scopes the page's cookies.
	Cookie Cookie
	// Brand is the tenant's product name, logo, accent colour and
	// support link on the page.
	Brand Brand
	// Text replaces texts of the page's catalogue: language (en, de, fr)
	// → key (as in the catalogue, e.g. "title.login") → text. A text
	// that takes arguments (%d, %s) must keep them, in order.
	// Default: none.
	Text map[string]map[string]string
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

// DefaultPath is where the login page is served by default.
const DefaultPath = "/login"

// defaultCookieName is the session cookie's base name.
const defaultCookieName = "pinauth"

// WithDefaults validates the page's config and fills the defaults.
// tenants are the gateway's tenant names (the first is the default
// tenant); taken reports whether a path belongs to the gateway already
// (the API, the JWKS), which the page must not overlap.
func (lp Config) WithDefaults(tenants []string, taken func(path string) bool) (Config, error) {
	if lp.Path == "" {
		lp.Path = DefaultPath
	}
	if err := checkPath(lp.Path); err != nil {
		return lp, err
	}
	lp.Path = "/" + strings.Trim(lp.Path, "/")
	if taken(lp.Path) {
		return lp, fmt.Errorf("pinauth: login_page: path %q overlaps the API", lp.Path)
	}
	if lp.Tenant == "" && len(tenants) > 0 {
		lp.Tenant = tenants[0]
	}
	if !slices.Contains(tenants, lp.Tenant) {
		return lp, fmt.Errorf("pinauth: login_page: tenant %q is not configured", lp.Tenant)
	}
	if lp.Cookie.Name == "" {
		lp.Cookie.Name = defaultCookieName
	}
	if err := lp.Brand.check(); err != nil {
		return lp, err
	}
	return lp, lp.Cookie.check()
}

// Validate checks what can be checked of the page's config without the
// gateway's (its tenants and paths): the path, when given, and the
// cookie's name and domain, the brand and the texts. WithDefaults checks the same and more.
func (lp Config) Validate() error {
	if lp.Path != "" {
		if err := checkPath(lp.Path); err != nil {
			return err
		}
	}
	if err := lp.Brand.check(); err != nil {
		return err
	}
	if _, err := loadCatalogue(lp.Text); err != nil {
		return err
	}
	c := lp.Cookie
	if c.Name == "" {
		c.Name = defaultCookieName
	}
	return c.check()
}

// checkPath checks a configured page path: a plain path starting with /,
// and not / itself.
func checkPath(p string) error {
	if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "*?#%\\ \t") {
		return fmt.Errorf("pinauth: login_page: path %q must be a plain path starting with /", p)
	}
	if strings.Trim(p, "/") == "" {
		return errors.New("pinauth: login_page: path must not be /")
	}
	return nil
}

// check checks the cookie's name (with its default filled) and domain.
func (c Cookie) check() error {
	if !isCookieName(c.Name) || strings.HasPrefix(c.Name, "__") {
		return fmt.Errorf("pinauth: cookie: name %q is not a valid cookie name (letters, digits, - and _; no __ prefix)", c.Name)
	}
	if d := c.Domain; d != "" && (strings.ContainsAny(d, " ;,/:") || strings.Trim(d, ".") == "") {
		return fmt.Errorf("pinauth: cookie: domain %q is not a host name", d)
	}
	return nil
}

func isCookieName(s string) bool {
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return s != ""
}
