// Package loginpage is the gateway's built-in login page: the password
// form, the PIN pad, the first PIN, logout, their sealed cookies, CSRF
// defence, return targets, templates and assets. It runs the logins
// through the Core the gateway gives it, so the page and the API share
// validation, lockout, captcha and webhooks.
//
// The gateway builds a Page with New, routes the requests it Owns to
// ServeHTTP, and on its protected path reads the browser's Session,
// Renews it when its access token expired, strips the page's cookies
// (StripCookies) and sends browsers without a usable token to the page
// (RedirectToLogin).
package loginpage

import (
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
)

// Options are what New needs.
type Options struct {
	// Config is the page's config, with its defaults filled
	// (Config.WithDefaults).
	Config Config
	// Tenant is the tenant named by Config.Tenant.
	Tenant Tenant
	// Peppers are the gateway's peppers, current first: the page derives
	// its cookie and CSRF keys from them.
	Peppers []secret.Pepper
	// Captcha is the captcha configuration, nil when there is none.
	Captcha *Captcha
	// SessionTTL is how long a PIN session_token lives.
	SessionTTL time.Duration
	// Core runs the logins.
	Core Core
	// Log receives the page's failures; Now is the clock; ClientIP names
	// the client of a request in logs.
	Log      *zap.Logger
	Now      func() time.Time
	ClientIP func(*http.Request) string
}

// Tenant is what the page needs of its tenant.
type Tenant struct {
	// Name is the tenant's name.
	Name string
	// AllowedOrigins are the origins a login may return to.
	AllowedOrigins []string
	// PINMinLength and PINMaxLength bound the PIN.
	PINMinLength, PINMaxLength int
	// PasswordResetByOTP is true when the tenant mails a code, not a
	// link, for a forgotten password (password_reset_email otp).
	PasswordResetByOTP bool
	// ResetPINURL is the tenant's own page for PIN reset links; when
	// set, the page's forgot-PIN links go there instead of to the page.
	ResetPINURL string
	// SignUp is the tenant's sign-up, the zero value when it has none.
	SignUp SignUp
}

// SignUp is what the page needs of the tenant's sign-up policy (the
// policy itself is the core's).
type SignUp struct {
	// Enabled is true when the tenant serves sign-up (open or
	// invite-only); otherwise the page neither links to its sign-up
	// pages nor serves them.
	Enabled bool
	// RequiredFields are the profile fields a sign-up must give beyond
	// Email and Password, by LoginRadius's names.
	RequiredFields []string
	// PasswordMinLength and PasswordClasses are the password policy,
	// for the form's hint.
	PasswordMinLength, PasswordClasses int
	// OwnVerificationURL is true when the tenant has a verification
	// page of its own: its links go there, not to the page's.
	OwnVerificationURL bool
	// VerifyByCode is true when the tenant's verification emails carry
	// a code (verification_email otp): the "check your email" page then
	// has a field for it, and no link is passed.
	VerifyByCode bool
}

// Captcha is what the page needs of the captcha configuration.
type Captcha struct {
	// Provider is the provider's name ("recaptcha", "hcaptcha", "tencent").
	Provider string
	// SiteKey is the public key widgets are rendered with.
	SiteKey string
	// Always asks for a captcha on every form.
	Always bool
}

// Page serves the login page.
type Page struct {
	core      Core
	tenant    Tenant
	captcha   *Captcha
	ttl       time.Duration
	log       *zap.Logger
	now       func() time.Time
	clientIP  func(*http.Request) string
	path      string
	cookie    cookieNames
	keys      pageKeys
	views     *views
	catalogue catalogue
	brand     Brand
	flight    refreshFlights
}

// New builds the page: it parses the templates and loads the assets.
func New(o Options) (*Page, error) {
	lp := o.Config
	p := &Page{core: o.Core, tenant: o.Tenant, captcha: o.Captcha, ttl: o.SessionTTL, log: o.Log,
		now: o.Now, clientIP: o.ClientIP, path: lp.Path, cookie: newCookieNames(lp.Cookie)}
	p.keys = newPageKeys(o.Peppers)
	var err error
	p.brand = lp.Brand
	if p.views, err = loadViews(lp.TemplateDir, p.path); err != nil {
		return nil, err
	}
	if css := p.brand.brandCSS(); css != nil {
		p.views.addAsset(brandCSSAsset, css)
	}
	if p.catalogue, err = loadCatalogue(lp.Text); err != nil {
		return nil, err
	}
	p.flight.m = map[string]*refreshFlight{}
	return p, nil
}

// Owns reports whether the page serves path.
func (p *Page) Owns(path string) bool {
	return path == p.path || strings.HasPrefix(path, p.path) && path[len(p.path)] == '/'
}

// ServeHTTP serves a request under the page's path.
func (p *Page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sub := strings.TrimPrefix(r.URL.Path, p.path)
	if name, ok := strings.CutPrefix(sub, "/assets/"); ok {
		p.views.serveAsset(w, r, name)
		return
	}
	route, known := pageRoutes[sub]
	if signUpRoutes[sub] && !p.tenant.SignUp.Enabled {
		route, known = pageRoute{}, false
	}
	handle := route.submit
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		handle = route.show
	} else if r.Method != http.MethodPost {
		handle = nil
	}
	switch {
	case handle != nil:
		handle(p, w, r)
	case known:
		w.Header().Set("Allow", route.allow())
		p.message(w, r, http.StatusMethodNotAllowed, p.t(r, "title.notallowed"), p.t(r, "error.notallowed"))
	default:
		p.message(w, r, http.StatusNotFound, p.t(r, "title.notfound"), p.t(r, "error.notfound"))
	}
}

// pageHandler serves one path of the page for one method.
type pageHandler func(*Page, http.ResponseWriter, *http.Request)

// pageRoute is what one path under the page answers: show serves GET and
// HEAD, submit serves POST; nil where the path takes no such method.
type pageRoute struct{ show, submit pageHandler }

// allow is the Allow header of a 405 on the route: the methods it takes.
func (r pageRoute) allow() string {
	var m []string
	if r.show != nil {
		m = append(m, http.MethodGet, http.MethodHead)
	}
	if r.submit != nil {
		m = append(m, http.MethodPost)
	}
	return strings.Join(m, ", ")
}

// pageRoutes are the page's paths below its own path, the single list
// ServeHTTP dispatches on and answers 405 (rather than 404) for. The
// empty path and "/" are both the login form.
var pageRoutes = map[string]pageRoute{
	"":            {(*Page).showLogin, (*Page).postPassword},
	"/":           {(*Page).showLogin, (*Page).postPassword},
	"/pin":        {nil, (*Page).postPIN},
	"/setpin":     {nil, (*Page).postSetPIN},
	"/forgot":     {(*Page).showForgot, (*Page).postForgot},
	"/forgotpin":  {(*Page).showForgotPIN, (*Page).postForgotPIN},
	"/reset":      {(*Page).showReset, (*Page).postReset},
	"/logout":     {(*Page).showLogout, (*Page).postLogout},
	"/password":   {(*Page).showChangePassword, (*Page).postChangePassword},
	"/register":   {(*Page).showSignUp, (*Page).postSignUp},
	"/resend":     {(*Page).showResend, (*Page).postResend},
	"/verify":     {(*Page).showVerify, (*Page).postVerify},
	"/verifycode": {(*Page).showResend, (*Page).postVerifyCode},
}

// signUpRoutes are the routes that exist only while the tenant serves
// sign-up; otherwise they answer 404 like any unknown path.
var signUpRoutes = map[string]bool{"/register": true, "/resend": true, "/verify": true, "/verifycode": true}

// StripCookies removes the page's cookies from a request's Cookie headers
// before it is proxied, leaving every other cookie byte for byte as it
// was. The upstream never sees the gateway's credentials.
func (p *Page) StripCookies(h http.Header) { p.cookie.strip(h) }
