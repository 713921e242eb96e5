package tests

import (
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// TestBrowserBrandedPageSpeaksGerman: a page with product_name,
// accent_color and support_url, opened by a browser that asks for German,
// shows the product in its title and above the heading, paints its
// button in the accent colour, links the support address, and speaks
// German, an operator's text included.
func TestBrowserBrandedPageSpeaksGerman(t *testing.T) {
	requireChromium(t)
	t.Parallel()
	g := startGateway(t, func(s *siteConfig) {
		s.Extra = "login_page {\n\t\t\tproduct_name \"Acme Books\"\n\t\t\taccent_color 0b5fff\n" +
			"\t\t\tsupport_url mailto:help@example.com\n\t\t\ttext de button.login \"Bei Acme anmelden\"\n\t\t}"
	})
	b := screenshotTab(t, g.base, 420, 640)
	if _, err := chromedp.Call(b.ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
		Headers: network.Headers{"Accept-Language": "de-DE,de;q=0.9"}}); err != nil {
		t.Fatal(err)
	}
	b.run(chromedp.Navigate(g.base + "/app/x"))
	b.run(chromedp.WaitVisible(chromedp.ID("identifier")))
	for expr, want := range map[string]string{
		`document.title`:                                                                  "Anmelden – Acme Books",
		`document.documentElement.lang`:                                                   "de",
		`document.querySelector('.product').textContent`:                                  "Acme Books",
		`document.querySelector('label[for=identifier]').textContent`:                     "E-Mail oder Benutzername",
		`document.querySelector('button[type=submit]').textContent`:                       "Bei Acme anmelden",
		`getComputedStyle(document.querySelector('button[type=submit]')).backgroundColor`: "rgb(11, 95, 255)",
		`document.querySelector('.support a').getAttribute('href')`:                       "mailto:help@example.com",
		`document.querySelector('.support a').textContent`:                                "Hilfe nötig? Support kontaktieren",
	} {
		if got := b.eval(expr); got != want {
			t.Errorf("%s = %q, want %q", expr, got, want)
		}
	}
	b.shot("17-branded-german.png")
}
