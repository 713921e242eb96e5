package pinauth

import (
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"unicode/utf8"
)

// What travels upstream. Stripping client-sent identity headers
// (headers.go) is not enough on its own: an identity can also arrive in a
// chunked body's trailers, the headers the gateway set can be removed by a
// Connection header naming them (reverse_proxy drops the headers a
// request's Connection lists after the gateway ran), and a credential can
// ride along beside the verified one, as a second Authorization header or
// in the query. Each is closed here.

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

// guardConnection removes from the Connection header every option that
// names a header the gateway sets (an identity header, a preset header,
// Authorization): reverse_proxy deletes the headers a request's Connection
// lists, after the gateway ran, and an app that defaults a missing role
// or tenant header must not be fooled into it by the client.
func (h *identityHeaders) guardConnection(hdr http.Header) {
	vals, ok := hdr["Connection"]
	if !ok {
		return
	}
	drop := false
	for _, v := range vals {
		for opt := range strings.SplitSeq(v, ",") {
			if h.protectsHeader(textproto.TrimString(opt)) {
				drop = true
			}
		}
	}
	if !drop {
		return
	}
	var kept []string
	for _, v := range vals {
		for opt := range strings.SplitSeq(v, ",") {
			if opt = textproto.TrimString(opt); opt != "" && !h.protectsHeader(opt) {
				kept = append(kept, opt)
			}
		}
	}
	if len(kept) == 0 {
		delete(hdr, "Connection")
		return
	}
	hdr["Connection"] = []string{strings.Join(kept, ", ")}
}

// protectsHeader reports whether name is a header the gateway sets or
// strips: one that no client may remove, forge or add beside the
// gateway's.
func (h *identityHeaders) protectsHeader(name string) bool {
	if name == "" {
		return false
	}
	if strings.EqualFold(name, "Authorization") {
		return true
	}
	for _, n := range h.names {
		if strings.EqualFold(name, n) {
			return true
		}
	}
	for _, ph := range h.preset {
		if strings.EqualFold(name, ph.name) {
			return true
		}
	}
	return h.stripped(name)
}

// guardTrailers keeps identity fields and Authorization out of a request's
// trailers. net/http fills r.Trailer while the body is read, which happens
// after the gateway ran (reverse_proxy copies the trailers upstream at the
// body's end), so the declared names are removed now and whatever arrived
// is removed again when the body reaches its end. A request that declares
// no trailer gets none forwarded: net/http then never shares a trailer map
// with it.
func (h *identityHeaders) guardTrailers(r *http.Request) {
	h.stripTrailer(r.Trailer)
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = &trailerGuard{ReadCloser: r.Body, r: r, h: h}
	}
}

// stripTrailer removes protected fields from a trailer map.
func (h *identityHeaders) stripTrailer(t http.Header) {
	for name := range t {
		if h.protectsHeader(name) {
			delete(t, name)
		}
	}
}

// trailerGuard strips the request's trailers when its body reaches EOF,
// before the reader (reverse_proxy) copies them.
type trailerGuard struct {
	io.ReadCloser
	r *http.Request
	h *identityHeaders
}

func (b *trailerGuard) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.h.stripTrailer(b.r.Trailer)
	}
	return n, err
}
