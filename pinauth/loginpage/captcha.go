package loginpage

import (
	"net/http"
	"net/url"

	"github.com/pinauth/caddy-pinauth/pinauth/captcha"
)

// captchaWidget is what the page needs to render a captcha provider's
// widget: the script to load, the element's class and public site key, and
// the origins the CSP must allow for the script and its frame.
type captchaWidget struct {
	// Script is the provider's script URL.
	Script string
	// Class is the class of the element the script turns into the widget
	// ("g-recaptcha", "h-captcha").
	Class string
	// SiteKey is the public key the widget is rendered with.
	SiteKey string
	// Sources are the CSP sources of the script and its frames.
	Sources []string
}

// captchaFor returns the widget to render on a login form, or nil. required
// is true after the core answered that a captcha is needed (1132, 982);
// with the captcha's always mode every form shows it. A widget needs the
// public site key. reCAPTCHA is rendered as the v2 checkbox and hCaptcha
// as its checkbox; a reCAPTCHA v3 key or Tencent's captcha needs the
// app's own script, so no widget is rendered and a captcha lock is
// explained in words only.
func (p *Page) captchaFor(required bool) *captchaWidget {
	cc := p.captcha
	if cc == nil || cc.SiteKey == "" || !(required || cc.Always) {
		return nil
	}
	switch cc.Provider {
	case captcha.ReCAPTCHA:
		return &captchaWidget{
			Script: "https://www.google.com/recaptcha/api.js", Class: "g-recaptcha", SiteKey: cc.SiteKey,
			Sources: []string{"https://www.google.com/recaptcha/", "https://www.gstatic.com/recaptcha/"},
		}
	case captcha.HCaptcha:
		return &captchaWidget{
			Script: "https://js.hcaptcha.com/1/api.js", Class: "h-captcha", SiteKey: cc.SiteKey,
			Sources: []string{"https://hcaptcha.com", "https://*.hcaptcha.com"},
		}
	}
	return nil
}

// captchaFields are the form fields the providers' widgets post, passed to
// the API call as the API's own captcha parameters.
var captchaFields = []string{"g-recaptcha-response", "h-captcha-response", "qq_captcha_ticket", "qq_captcha_randstr"}

// captchaQuery copies the captcha answers of a posted form into q.
func captchaQuery(r *http.Request, q url.Values) {
	for _, f := range captchaFields {
		if v := r.PostForm.Get(f); v != "" {
			q.Set(f, v)
		}
	}
}
