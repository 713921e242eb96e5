package identityheaders

import (
	"io"
	"net/http"
	"net/textproto"
	"strings"
)

// Stripping the client-sent identity headers is not enough on its own: an
// identity can also arrive in a chunked body's trailers, and the headers
// the gateway set can be removed by a Connection header naming them
// (reverse_proxy drops the headers a request's Connection lists after the
// gateway ran). Both are closed here.

// GuardConnection removes from the Connection header every option that
// names a header the gateway sets (an identity header, a preset header,
// Authorization): reverse_proxy deletes the headers a request's Connection
// lists, after the gateway ran, and an app that defaults a missing role
// or tenant header must not be fooled into it by the client.
func (h *Headers) GuardConnection(hdr http.Header) {
	vals, ok := hdr["Connection"]
	if !ok {
		return
	}
	drop := false
	for _, v := range vals {
		for opt := range strings.SplitSeq(v, ",") {
			if h.Protects(textproto.TrimString(opt)) {
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
			if opt = textproto.TrimString(opt); opt != "" && !h.Protects(opt) {
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

// Protects reports whether name is a header the gateway sets or
// strips: one that no client may remove, forge or add beside the
// gateway's.
func (h *Headers) Protects(name string) bool {
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

// GuardTrailers keeps identity fields and Authorization out of a request's
// trailers. net/http fills r.Trailer while the body is read, which happens
// after the gateway ran (reverse_proxy copies the trailers upstream at the
// body's end), so the declared names are removed now and whatever arrived
// is removed again when the body reaches its end. A request that declares
// no trailer gets none forwarded: net/http then never shares a trailer map
// with it.
func (h *Headers) GuardTrailers(r *http.Request) {
	h.stripTrailer(r.Trailer)
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = &trailerGuard{ReadCloser: r.Body, r: r, h: h}
	}
}

// stripTrailer removes protected fields from a trailer map.
func (h *Headers) stripTrailer(t http.Header) {
	for name := range t {
		if h.Protects(name) {
			delete(t, name)
		}
	}
}

// trailerGuard strips the request's trailers when its body reaches EOF,
// before the reader (reverse_proxy) copies them.
type trailerGuard struct {
	io.ReadCloser
	r *http.Request
	h *Headers
}

func (b *trailerGuard) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.h.stripTrailer(b.r.Trailer)
	}
	return n, err
}
