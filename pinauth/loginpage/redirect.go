package loginpage

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/origin"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
)

// Where the browser goes after logging in comes from the request (the
// return parameter), so it is an open-redirect vector. A target is
// accepted only when it is
//   - a path on this site: starts with one "/" and, however often it is
//     percent-decoded, never with "//" or "/\" (browsers read both as
//     another host), or
//   - an absolute http(s) URL whose origin is one of the tenant's
//     allowed_origins, without user info (origin.Allowed: the rule of
//     the reset links, so https://x:443 is https://x).
//
// Backslashes, control characters and spaces are refused anywhere, raw or
// encoded, and so is anything with another scheme (javascript:, data:,
// https:evil). A refused target becomes "/": the login still succeeds.

// maxReturnLength bounds a return target.
const maxReturnLength = 2048

// returnParam is the query parameter and form field of the target.
const returnParam = "return"

// safeReturn returns target when it is a safe place to send the browser
// after login, else "/".
func (p *Page) safeReturn(target string) string {
	if target == "" || len(target) > maxReturnLength {
		return "/"
	}
	// Decode as often as a chain of servers might, checking every form.
	decoded := target
	for i := 0; ; i++ {
		if origin.HasUnsafeByte(decoded) || strings.HasPrefix(decoded, "//") {
			return "/"
		}
		next, err := url.PathUnescape(decoded)
		if err != nil {
			return "/"
		}
		if next == decoded {
			break
		}
		if i == 3 {
			// Still encoded after four rounds: nobody needs that.
			return "/"
		}
		decoded = next
	}
	u, err := url.Parse(target)
	if err != nil || u.Opaque != "" || u.User != nil {
		return "/"
	}
	if strings.HasPrefix(target, "/") {
		if u.Scheme != "" || u.Host != "" || p.Owns(u.Path) {
			return "/"
		}
		return target
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || !origin.Allowed(p.tenant.AllowedOrigins, u) {
		return "/"
	}
	return target
}

// returnTarget is where the protected path sends a browser back to after
// login: the request's path and query, without an access_token parameter
// (one that failed would fail again after login).
func returnTarget(r *http.Request) string {
	u := *r.URL
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			if strings.EqualFold(k, "access_token") {
				q.Del(k)
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.RequestURI()
}

// wantsLoginRedirect reports whether an unauthenticated request comes from
// a person's browser navigating to a page (redirect it to the login page)
// rather than from a script or an API client (answer with the 401 JSON):
// it must accept HTML, not ask for JSON, and not be marked as XHR or fetch.
func wantsLoginRedirect(r *http.Request) bool {
	if r.Header.Get("X-Requested-With") != "" {
		return false
	}
	switch r.Header.Get("Sec-Fetch-Mode") {
	case "", "navigate", "nested-navigate":
	default:
		// fetch() and XHR (cors, same-origin), subresources (no-cors),
		// WebSocket upgrades.
		return false
	}
	accept := strings.ToLower(r.Header.Get("Accept"))
	if strings.Contains(accept, "application/json") {
		return false
	}
	return strings.Contains(accept, "text/html") || strings.Contains(accept, "application/xhtml+xml")
}

// RedirectToLogin sends a browser to the login page (303, so a POST becomes
// a GET) with the page it asked for as the return target. It reports
// whether it did: only for a browser without a usable token.
func (p *Page) RedirectToLogin(w http.ResponseWriter, r *http.Request, e *lrerr.Error) bool {
	switch e.Code {
	case lrerr.CodeAccessTokenMissing, lrerr.CodeAccessTokenInvalid, lrerr.CodeAccessTokenExpired, lrerr.CodeAccountBlocked:
	default:
		return false
	}
	if !wantsLoginRedirect(r) {
		return false
	}
	q := url.Values{}
	if ret := returnTarget(r); ret != "/" {
		q.Set(returnParam, ret)
	}
	switch e.Code {
	case lrerr.CodeAccessTokenInvalid, lrerr.CodeAccessTokenExpired:
		q.Set("reason", "expired")
	case lrerr.CodeAccountBlocked:
		q.Set("reason", "blocked")
	}
	loc := p.path
	if len(q) > 0 {
		loc += "?" + q.Encode()
	}
	h := w.Header()
	h.Set("Location", loc)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusSeeOther)
	return true
}
