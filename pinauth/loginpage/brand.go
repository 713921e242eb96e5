package loginpage

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Brand is a tenant's look on the page, without a template of its own:
// the product's name and logo, the accent colour of buttons and links,
// and where users get help. template_dir remains for full control.
type Brand struct {
	// ProductName is shown above every page's heading and in the
	// browser's title. Default: none.
	ProductName string
	// LogoURL is the logo's image: an https URL or a path on this site
	// (an asset of template_dir: <path>/assets/logo.svg). The CSP allows
	// its origin for images. Default: none.
	LogoURL string
	// AccentColor is the colour of buttons, links and focus rings: #rgb
	// or #rrggbb (the # may be left out). White text sits on it, so it
	// must be dark enough (4.5:1). Default: #1d4ed8.
	AccentColor string
	// SupportURL is linked at the foot of every page ("Need help?"):
	// https, http or mailto. Default: none.
	SupportURL string
}

// check validates b and spells its colour with a #.
func (b *Brand) check() error {
	if c := b.AccentColor; c != "" {
		hex := strings.TrimPrefix(c, "#")
		if (len(hex) != 3 && len(hex) != 6) || strings.Trim(strings.ToLower(hex), "0123456789abcdef") != "" {
			return fmt.Errorf("pinauth: login_page: accent_color %q is not a colour like #1d4ed8", c)
		}
		b.AccentColor = "#" + strings.ToLower(hex)
	}
	if l := b.LogoURL; l != "" {
		u, err := url.Parse(l)
		path := err == nil && u.Scheme == "" && u.Host == "" && strings.HasPrefix(l, "/") && !strings.HasPrefix(l, "//")
		if err != nil || !(path || u.Scheme == "https" && u.Host != "" && u.User == nil) || strings.ContainsAny(l, " \"'\\<>") {
			return fmt.Errorf("pinauth: login_page: logo_url %q must be an https URL or a path on this site", l)
		}
	}
	if s := b.SupportURL; s != "" {
		u, err := url.Parse(s)
		if err != nil || !(u.Scheme == "https" || u.Scheme == "http" || u.Scheme == "mailto") || strings.ContainsAny(s, " \"'\\<>") {
			return fmt.Errorf("pinauth: login_page: support_url %q must be an https, http or mailto URL", s)
		}
	}
	return nil
}

// logoSource is the CSP source of the logo: its origin when it is on
// another site, "" otherwise.
func (b Brand) logoSource() string {
	u, err := url.Parse(b.LogoURL)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// brandCSS is the stylesheet of the accent colour (served as brand.css
// after style.css, since the CSP allows no inline style), nil without one.
func (b Brand) brandCSS() []byte {
	if b.AccentColor == "" {
		return nil
	}
	hex := strings.TrimPrefix(b.AccentColor, "#")
	if len(hex) == 3 {
		hex = string([]byte{hex[0], hex[0], hex[1], hex[1], hex[2], hex[2]})
	}
	v, _ := strconv.ParseUint(hex, 16, 32)
	// The hover colour: the accent 15% darker.
	dark := func(shift uint) uint64 { return (v >> shift & 0xff) * 85 / 100 }
	return fmt.Appendf(nil, ":root { --accent: #%s; --accent-dark: #%02x%02x%02x; }\n", hex, dark(16), dark(8), dark(0))
}
