package pinauth

// Public reports whether a request may reach the upstream without a valid
// access token. method and target are the request's method and
// request-target exactly as the upstream will receive them: for Caddy's
// reverse_proxy that is r.URL.RequestURI(), what Go's transport writes on
// the request line (it cleans nothing). A target is public when its path
// is canonical and matches a public rule (Config.Public, see package
// publicpath); the query never matters.
//
// The protected path decides with Public, and so must anything else that
// answers "may this request pass?" for this gateway, such as an
// auth-request endpoint asked about the original URI of a request.
// Requests to the API prefix, the JWKS and the login page are answered
// by the gateway itself and never reach the upstream.
func (g *Gateway) Public(method, target string) bool {
	return g.public.Allows(method, target)
}
