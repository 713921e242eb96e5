// Package publicpathtest holds the request-targets the public path tests
// share: the rules, the canonical targets under them, and every
// non-canonical spelling of the known path-confusion classes. Both the
// decision's own tests (package publicpath) and the gateway's (package
// pinauth) run them.
package publicpathtest

import (
	"strings"

	"github.com/pinauth/caddy-pinauth/pinauth/publicpath"
)

// Rules are the public rules of the path tests: an exact path, a
// directory and a prefix.
var Rules = []string{"/healthz", "/static/", "/assets*", "/favicon.ico"}

// PublicTargets are request-targets, exactly as a client writes them,
// that pass the gate without a token: canonical paths under the rules.
var PublicTargets = []string{
	"/healthz", "/healthz?probe=1", "/favicon.ico",
	"/static", "/static/", "/static/app.css", "/static/img/logo.png", "/static/a%20b.css",
	"/static/a(1)~b_c-d.e!$&'*+,=:@.js", "/static/%5Bx%5D%7By%7D.txt",
	"/assets", "/assets.js", "/assets/x/y.js",
	"http://example.com/healthz", "HTTP://example.com/static/app.css",
}

// ProtectedTargets spell a public path, or a way out of one, in every
// non-canonical form of the known path-confusion classes: without a token
// each must be denied, whatever it would mean to the app.
var ProtectedTargets = []string{
	// dot segments, plain and encoded
	"/admin/../healthz", "/healthz/../admin", "/static/../admin", "/static/./app.css", "/./healthz",
	"/static/.", "/static/..", "/static/%2e%2e/admin", "/static/%2E%2E/admin", "/static/.%2e/admin",
	"/static/%2e./admin", "/static/%2e/app.css", "/assets/../admin", "/assets/%2e%2e/admin",
	// encoded separators
	"/admin%2f..%2fhealthz", "/admin%2F..%2Fhealthz", "/static/..%2fadmin", "/static%2f..%2fadmin",
	"/static/a%2fb.css", "/static/..%5cadmin", "/static/%5c..%5cadmin", `/static\..\admin`,
	`/static/a\b.css`, "/static/..%255cadmin",
	// double encoding
	"/static/%252e%252e/admin", "/static/%252e%252e%252fadmin", "/static/%25", "/static/100%25.txt",
	// overlong UTF-8, IIS %u, fullwidth, anything outside ASCII
	"/static/%c0%ae%c0%ae/admin", "/static/%C0%AE%C0%AE/admin", "/static/%c0%afadmin",
	"/static/%e0%80%ae%e0%80%ae/admin", "/static/%u002e%u002e/admin", "/static/%ef%bc%8e%ef%bc%8e/admin",
	"/static/%C3%A9.css", "/static/\xc3\xa9.css",
	// repeated separators
	"//healthz", "///healthz", "/static//app.css", "/static///../admin", "/healthz/",
	// ;parameters
	"/healthz;x", "/healthz;jsessionid=1", "/static/..;/admin", "/static;/../admin", "/static/a;b.css",
	"/static/%3b/../admin", "/static/%3B",
	// case
	"/HEALTHZ", "/Healthz", "/Static/app.css", "/ASSETS/x.js", "/static/a%3c.css",
	// trailing dots and spaces
	"/healthz.", "/healthz%20", "/static/app.css.", "/static/app.css%20", "/static/x%20./",
	// control characters, NUL, '?' and '#' inside the path
	"/healthz%00", "/static/x%00/../../admin", "/healthz%0d%0aX-Auth-Uid:%20a", "/static/x%09",
	"/healthz#/../admin", "/static/%23/../admin", "/static/x%3F/../../admin",
	// needless escapes
	"/static/%61pp.css", "/%68ealthz", "/static%2Fapp.css",
	// absolute and other request-target forms
	"http://example.com/admin/../healthz", "http://example.com/static/%2e%2e/admin", "http:/healthz/../admin",
	"http:healthz", "*",
	// very long
	"/static/" + strings.Repeat("a", publicpath.MaxLen), "/static/" + strings.Repeat("../", 500) + "admin",
}
