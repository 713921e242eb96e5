package pinauth

import (
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// What travels upstream. Stripping client-sent identity headers, from the
// headers, the trailers and the Connection list (package identityheaders),
// is not enough on its own: a credential can ride along beside the
// verified one, as a second Authorization header or in the query. Both
// are closed here.

// accessTokenParam is the query parameter that carries an access token.
const accessTokenParam = "access_token"

// dropAccessTokenQuery removes from r's query every parameter the gateway
// would read as an access token (any case, any percent-encoding of the
// name) and every pair that a server splitting on ";" would read so. The
// other pairs stay byte for byte. The token must never travel upstream in
// the URL, where the upstream's logs and reverse_proxy's debug log keep
// it; the verified one goes in Authorization. RequestURI follows, as
// Caddy's rewrite keeps it: the handlers after the gateway log it.
func dropAccessTokenQuery(r *http.Request) {
	u := r.URL
	q := u.RawQuery
	if q == "" || !mayNameAccessToken(q) {
		return
	}
	var b strings.Builder
	changed := false
	for rest := q; ; {
		pair, more, found := strings.Cut(rest, "&")
		if namesAccessToken(pair) {
			changed = true
		} else {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(pair)
		}
		if !found {
			break
		}
		rest = more
	}
	if changed {
		u.RawQuery = b.String()
		r.RequestURI = u.RequestURI()
	}
}

// mayNameAccessToken is a cheap test that lets almost every query skip the
// parsing: a name that folds to access_token is spelt out in ASCII, or
// uses an escape, or a non-ASCII letter (ſ folds to s).
func mayNameAccessToken(q string) bool {
	for i := 0; i < len(q); i++ {
		if q[i] == '%' || q[i] >= utf8.RuneSelf {
			return true
		}
	}
	return containsFoldASCII(q, accessTokenParam)
}

// namesAccessToken reports whether a query pair, or any ";"-separated part
// of it, has a name that folds to access_token.
func namesAccessToken(pair string) bool {
	for part := range strings.SplitSeq(pair, ";") {
		name, _, _ := strings.Cut(part, "=")
		if dec, err := url.QueryUnescape(name); err == nil {
			name = dec
		}
		if strings.EqualFold(name, accessTokenParam) {
			return true
		}
	}
	return false
}

// containsFoldASCII reports whether s contains sub (lower-case ASCII) in
// any ASCII case, without allocating.
func containsFoldASCII(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		j := 0
		for ; j < len(sub); j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				break
			}
		}
		if j == len(sub) {
			return true
		}
	}
	return false
}

// dropBearer removes the bearer credentials of a request that passes
// without a valid token: a token the gateway refused (expired, revoked,
// another site's) must not reach an app that verifies tokens itself.
// Other schemes (Basic…) belong to the app and stay.
func dropBearer(h http.Header) {
	vals := h["Authorization"]
	if len(vals) == 0 {
		return
	}
	kept := vals[:0:0]
	for _, v := range vals {
		if !isBearer(v) {
			kept = append(kept, v)
		}
	}
	if len(kept) == 0 {
		delete(h, "Authorization")
	} else if len(kept) != len(vals) {
		h["Authorization"] = kept
	}
}

// isBearer reports whether an Authorization value is a Bearer credential.
func isBearer(v string) bool {
	v = strings.TrimLeft(v, " \t")
	return len(v) >= 6 && strings.EqualFold(v[:6], "bearer") && (len(v) == 6 || v[6] == ' ' || v[6] == '\t')
}
