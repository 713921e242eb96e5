package pinauth

import (
	"net/http"
	"net/url"
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
// is true after the core answered that a captcha is needed (1132, 982).
//
// Hook: the tenant's captcha settings (provider, site key, always/after)
// are not part of the configuration yet; until they are, no widget is
// rendered and a captcha lock is explained in words only.
func (p *loginPage) captchaFor(required bool) *captchaWidget {
	_ = required
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
