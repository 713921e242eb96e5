package pinauth

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/cache"
	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
)

// The auth-request endpoint (issue 21) lets another proxy use the gateway
// as its authority: nginx's auth_request, Caddy's forward_auth and
// Traefik's ForwardAuth send it the headers of the request they hold,
// with its method and request-target in forwarded headers, and pass the
// request on when it answers 2xx, copying the identity headers of the
// answer. The decision is the protected path's, made by the same code on
// the original method and target: the token (Authorization Bearer, or
// the login page's cookie), the caches, revocation, blocked accounts,
// accept_tenants, and the public rules. Two things differ, because the
// gateway does not forward the request itself:
//   - the access_token query parameter is not read: the proxy would send
//     it on to the app in the URL, where logs keep it;
//   - an expired login page session is not renewed here: the proxy keeps
//     the answer's cookies from the browser (Caddy and Traefik do, and a
//     refresh token spent for a cookie the browser never gets would look
//     stolen the next time). The browser is sent to the login page, which
//     renews it and sends it straight back.

// Where proxies write the original method and request-target: nginx's
// guide sets X-Original-*, Caddy's forward_auth and Traefik's ForwardAuth
// send X-Forwarded-*. A request naming both with different values is
// refused: a client can add the convention its proxy does not set, and
// which one wins must not be its choice.
var (
	originalMethodHeaders = []string{"X-Original-Method", "X-Forwarded-Method"}
	originalURIHeaders    = []string{"X-Original-Uri", "X-Forwarded-Uri"}
)

// noStore is the Cache-Control of every answer: a proxy must not reuse
// one for another request.
var noStore = []string{"no-store"}

// errUntrustedProxy answers a peer that is not a trusted proxy: it could
// name any original request.
var errUntrustedProxy = &lrerr.Error{Code: lrerr.CodeParameterFormat, Status: http.StatusForbidden,
	Description: "The auth-request endpoint answers only the server's trusted proxies."}

// serveAuthRequest answers a proxy asking whether the request it holds
// may pass. Valid token: 200 with the identity headers (presets
// included), the Authorization the upstream is to get and the Cookie
// header without the gateway's cookies, for the proxy to copy upstream.
// An anonymous request to a public target: 200 without them. Otherwise
// what the protected path answers: a browser is sent to the login page
// (303, return target the original one), anyone else gets 401 with
// WWW-Authenticate.
func (g *Gateway) serveAuthRequest(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h["Cache-Control"] = noStore
	if !g.cfg.TrustedProxy(r) {
		if ce := g.log.Check(zap.DebugLevel, "auth request from an untrusted peer"); ce != nil {
			ce.Write(zap.String("client_ip", config.RemoteHost(r)))
		}
		g.writeError(w, r, errUntrustedProxy)
		return
	}
	method, target, e := originalRequest(r.Header)
	if e != nil {
		g.writeError(w, r, e)
		return
	}
	r.Method = method
	raw, rewrite, _ := g.credentialOf(r, false)
	if g.page != nil {
		g.page.StripCookies(r.Header)
	}
	if raw == "" {
		e = lrerr.New(lrerr.CodeAccessTokenMissing)
	} else {
		var vt *cache.Token
		var prof *cache.Profile
		vt, prof, e = g.authenticate(r.Context(), raw)
		if e = g.accepted(vt, e); e == nil {
			g.hdrs.Set(h, &prof.Headers, vt.SIDValue)
			// As on the protected path, a lone Bearer header travels as
			// the client sent it (no copy made); anything else as rewritten.
			h["Authorization"] = r.Header["Authorization"]
			g.forwardToken(h, vt, raw, rewrite)
		}
	}
	if e != nil {
		// Only now does the target matter (a valid token passes whatever
		// it asks for, as on the protected path): r becomes the original
		// request, whose target the public rules and the login redirect
		// read.
		u, err := url.ParseRequestURI(target)
		if err != nil {
			g.writeError(w, r, &lrerr.Error{Code: lrerr.CodeParameterFormat, Status: http.StatusBadRequest,
				Description: "The original URI is not a request-target."})
			return
		}
		r.URL, r.RequestURI = u, target
		if _, pass := g.anonymous(w, r, e); !pass {
			return
		}
		// Anonymous to a public path: the app's own credentials (Basic…)
		// pass, bearer tokens do not, as on the protected path.
		if auth := r.Header["Authorization"]; len(auth) > 0 {
			h["Authorization"] = auth
		}
	}
	if cookies := r.Header["Cookie"]; len(cookies) > 0 {
		h["Cookie"] = []string{strings.Join(cookies, "; ")}
	}
	w.WriteHeader(http.StatusOK)
}

// originalRequest reads the method and request-target of the request a
// proxy asks about from its forwarded headers.
func originalRequest(h http.Header) (method, target string, _ *lrerr.Error) {
	method, err := forwardedValue(h, originalMethodHeaders)
	if err == nil && !isToken(method) {
		err = errors.New("the original method is not an HTTP method")
	}
	if err == nil {
		target, err = forwardedValue(h, originalURIHeaders)
	}
	if err != nil {
		return "", "", &lrerr.Error{Code: lrerr.CodeParameterFormat, Status: http.StatusBadRequest, Description: err.Error()}
	}
	return method, target, nil
}

// forwardedValue returns the one value the headers names give together;
// none, or two different ones, is an error.
func forwardedValue(h http.Header, names []string) (string, error) {
	value, found := "", false
	for _, name := range names {
		for _, v := range h[name] {
			if found && v != value {
				return "", fmt.Errorf("%s disagree: the proxy must send one original value", strings.Join(names, " and "))
			}
			value, found = v, true
		}
	}
	if !found || value == "" {
		return "", fmt.Errorf("the proxy sent no %s", strings.Join(names, " or "))
	}
	return value, nil
}

// isToken reports whether s is an HTTP token (RFC 9110, 5.6.2), as a
// method must be.
func isToken(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}
