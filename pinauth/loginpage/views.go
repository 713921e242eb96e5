package loginpage

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"

	"go.uber.org/zap"
)

// web holds the page's templates and assets; an operator's template_dir
// may replace any of them by file name.
//
//go:embed web
var web embed.FS

// The template files: layout.html defines "layout", which every page
// renders through; each page file defines "content".
var (
	layoutFile = "layout.html"
	pageFiles  = []string{"login.html", "pin.html", "setpin.html", "logout.html", "message.html", "forgot.html", "reset.html", "forgotpin.html", "password.html", "signup.html", "checkemail.html", "verify.html"}
	assetFiles = []string{"style.css", "app.js"}
	// extraAssetTypes are the extensions a template_dir may add as assets
	// (logos, fonts, extra styles).
	extraAssetTypes = map[string]bool{".css": true, ".js": true, ".png": true, ".svg": true, ".ico": true, ".woff2": true}
)

// brandCSSAsset is the stylesheet of a brand's accent colour.
const brandCSSAsset = "brand.css"

// maxAssetBytes bounds a file read from template_dir.
const maxAssetBytes = 1 << 20

// views are the parsed templates and the assets, ready to serve.
type views struct {
	pages  map[string]*template.Template
	assets map[string]asset
}

// asset is a static file served under <path>/assets/.
type asset struct {
	body    []byte
	ctype   string
	version string
}

// loadViews parses the embedded templates, replaced by same-named files of
// dir when it is not "". base is the page's path, for asset URLs.
func loadViews(dir, base string) (*views, error) {
	read := func(name string) ([]byte, error) {
		if dir != "" {
			b, err := os.ReadFile(filepath.Join(dir, name))
			switch {
			case err == nil:
				if len(b) > maxAssetBytes {
					return nil, fmt.Errorf("pinauth: login_page: %s is larger than %d bytes", name, maxAssetBytes)
				}
				return b, nil
			case !errors.Is(err, fs.ErrNotExist):
				return nil, fmt.Errorf("pinauth: login_page: read template_dir: %w", err)
			}
		}
		return web.ReadFile("web/" + name)
	}
	v := &views{pages: map[string]*template.Template{}, assets: map[string]asset{}}
	for _, name := range assetFiles {
		b, err := read(name)
		if err != nil {
			return nil, err
		}
		v.addAsset(name, b)
	}
	if dir != "" {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("pinauth: login_page: read template_dir: %w", err)
		}
		for _, e := range entries {
			name := e.Name()
			if _, known := v.assets[name]; known || !e.Type().IsRegular() || !extraAssetTypes[strings.ToLower(path.Ext(name))] {
				continue
			}
			b, err := read(name)
			if err != nil {
				return nil, err
			}
			v.addAsset(name, b)
		}
	}
	funcs := template.FuncMap{
		// asset is the URL of an asset, versioned by its content so it
		// can be cached.
		"asset": func(name string) string {
			if a, ok := v.assets[name]; ok {
				return base + "/assets/" + name + "?v=" + a.version
			}
			return base + "/assets/" + name
		},
	}
	layout, err := read(layoutFile)
	if err != nil {
		return nil, err
	}
	for _, name := range pageFiles {
		src, err := read(name)
		if err != nil {
			return nil, err
		}
		t, err := template.New(layoutFile).Funcs(funcs).Parse(string(layout))
		if err != nil {
			return nil, fmt.Errorf("pinauth: login_page: %s: %w", layoutFile, err)
		}
		if _, err := t.New(name).Parse(string(src)); err != nil {
			return nil, fmt.Errorf("pinauth: login_page: %s: %w", name, err)
		}
		if t.Lookup("content") == nil {
			return nil, fmt.Errorf("pinauth: login_page: %s must define a \"content\" template", name)
		}
		v.pages[strings.TrimSuffix(name, ".html")] = t
	}
	return v, nil
}

func (v *views) addAsset(name string, b []byte) {
	sum := sha256.Sum256(b)
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	v.assets[name] = asset{body: b, ctype: ct, version: hex.EncodeToString(sum[:6])}
}

// serveAsset writes an asset. Assets carry a content version in their
// URL, so they may be cached for a day.
func (v *views) serveAsset(w http.ResponseWriter, r *http.Request, name string) {
	a, ok := v.assets[name]
	if !ok || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("Cache-Control", "public, max-age=86400")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", `"`+a.version+`"`)
	if r.Header.Get("If-None-Match") == `"`+a.version+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(a.body)
}

// pageData is what every template receives.
type pageData struct {
	// Title is the page's heading and <title>.
	Title string
	// Path is the page's base path (form actions: {{.Path}}/pin …).
	Path string
	// Return is the validated return target, carried through the forms.
	Return string
	// CSRF is the token of the page's form.
	CSRF string
	// Error is shown in the alert region; Notice is a calmer message.
	Error  string
	Notice string
	// Field names the input the error is about ("identifier",
	// "password", "pin"), so the template can focus and describe it.
	Field string
	// Identifier is the email or username typed, kept after an error.
	Identifier string
	// PINAuthToken lets setpin.html set the first PIN.
	PINAuthToken string
	// ResetToken and ResetType are a reset link's token and vtype, for
	// the forms that set the new password or PIN.
	ResetToken, ResetType string
	// FieldError is the error shown next to the input named by Field.
	FieldError string
	// FieldErrors are the errors shown next to several inputs at once,
	// by input name (the password change: current, password, confirm).
	FieldErrors map[string]string
	// Again is a link that starts a recovery over (a new reset email).
	Again string
	// Recovery are the ways the PIN pad's account can reset its PIN;
	// Step is the forgot-PIN page's step ("choose", or the way chosen).
	Recovery *Recovery
	Step     string
	// Display names the account on the PIN pad.
	Display string
	// PINLength is the PIN's length when known (the pad submits itself
	// once it has that many digits); PINMin and PINMax bound it.
	PINLength, PINMin, PINMax int
	// Hint is the sign-up form's password rule; Fields its tenant's
	// required fields; SignUp is set when the tenant serves sign-up (the
	// password form links to it).
	Hint   string
	Fields []signUpField
	SignUp bool
	// CodeCSRF is the CSRF token of the "check your email" page's code
	// form, "" when the page has none.
	CodeCSRF string
	// Continue is where the signed-in page's link leads.
	Continue string
	// Captcha is the captcha widget to render, when one is required.
	Captcha *captchaWidget
	// Tenant is the tenant's name, for templates that brand per tenant.
	Tenant string
	// Lang is the page's language tag (the html element's lang).
	Lang string
	// Brand is the tenant's brand; BrandCSS is set when it has an
	// accent colour (link {{asset "brand.css"}}).
	Brand    Brand
	BrandCSS bool
	tx       texts
}

// ErrorOf is the error shown next to the input named field, "" when none:
// {{with .ErrorOf "password"}}.
func (d *pageData) ErrorOf(field string) string {
	if e := d.FieldErrors[field]; e != "" {
		return e
	}
	if d.Field == field {
		return d.FieldError
	}
	return ""
}

// T returns the text of key in the page's language, formatted with args
// when it takes them: {{.T "label.password"}}.
func (d *pageData) T(key string, args ...any) string { return d.tx.get(key, args...) }

// contentSecurityPolicy allows only the page's own scripts and styles, no
// framing, and form posts to this site (and redirects after them to the
// tenant's allowed origins, which Chrome checks against form-action).
func (p *Page) contentSecurityPolicy(c *captchaWidget) string {
	formAction := "'self'"
	for _, o := range p.tenant.AllowedOrigins {
		formAction += " " + strings.TrimSuffix(o, "/")
	}
	scripts, frames := "'self'", "'none'"
	if c != nil {
		scripts += " " + strings.Join(c.Sources, " ")
		frames = strings.Join(c.Sources, " ")
	}
	images := "'self' data:"
	if src := p.brand.logoSource(); src != "" {
		images += " " + src
	}
	return "default-src 'none'; script-src " + scripts + "; style-src 'self'; img-src " + images + "; " +
		"frame-src " + frames + "; form-action " + formAction + "; frame-ancestors 'none'; base-uri 'none'"
}

// render writes a page. The template runs into a buffer first, so a
// failing template never leaves half a page.
func (p *Page) render(w http.ResponseWriter, r *http.Request, status int, page string, d *pageData) {
	d.Path = p.path
	d.Tenant = p.tenant.Name
	d.SignUp = p.tenant.SignUp.Enabled
	d.tx = p.textsFor(r)
	d.Brand, d.BrandCSS = p.brand, p.brand.AccentColor != ""
	d.Lang = d.tx.lang
	if d.PINMin == 0 {
		d.PINMin, d.PINMax = p.tenant.PINMinLength, p.tenant.PINMaxLength
	}
	var buf bytes.Buffer
	if err := p.views.pages[page].ExecuteTemplate(&buf, layoutFile, d); err != nil {
		p.log.Error("login page template failed", zap.String("page", page), zap.Error(err))
		status, buf = http.StatusInternalServerError, *bytes.NewBufferString("Internal error")
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", p.contentSecurityPolicy(d.Captcha))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// message renders a page with a title and one paragraph and a link back
// to the login page.
func (p *Page) message(w http.ResponseWriter, r *http.Request, status int, title, text string) {
	p.render(w, r, status, "message", &pageData{Title: title, Error: text})
}
