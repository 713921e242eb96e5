package apireq

import (
	"errors"
	"io"
	"net/http"
	"os"
	"sync"
	"time"
)

// Slow bodies. The gateway reads the bodies of API calls and login forms
// itself, so it bounds how long that may take: a client that sends its
// headers and then trickles the body (slowloris) would otherwise hold the
// request, its goroutine and its connection for as long as it likes,
// since Caddy sets no read timeout by default. The bound is a read
// deadline on the connection, set when the request arrives and cleared
// once the body has been read, so nothing else (the hashing, the store)
// ever runs under it. The protected path does not read bodies: bodies
// proxied upstream are bounded by Caddy's `timeouts { read_body … }` server
// option (see SECURITY.md).

// SetBodyDeadline sets a read deadline timeout from now for r's body. It
// is cleared when the body has been read to its end; otherwise it stays,
// so that when net/http
// drains an unread or half-read body after the handler (to reuse the
// connection) a stalled client cannot hold that either: the drain fails
// and the connection is closed. Requests without a body get none: net/http
// starts a background read on their connection at once, and a deadline
// firing under it would cancel the request's context.
func SetBodyDeadline(w http.ResponseWriter, r *http.Request, timeout time.Duration) {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return
	}
	rc := http.NewResponseController(w)
	if err := rc.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		// A writer that cannot set deadlines (a test recorder, a
		// wrapper without Unwrap): the server's own timeouts apply.
		return
	}
	r.Body = &timedBody{ReadCloser: r.Body, rc: rc}
}

// timedBody clears the read deadline once the body has been read to its
// end, before the handler goes on to the work the deadline must not cut
// short (and before net/http's background read of the connection starts
// waiting under it).
type timedBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	once sync.Once
}

func (b *timedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.once.Do(func() { _ = b.rc.SetReadDeadline(time.Time{}) })
	}
	return n, err
}

// IsTimeout reports whether err is a read deadline passing.
func IsTimeout(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded)
}

// CloseUnreadBody marks an answer the gateway writes without reading the
// request's body (a denied protected request, the JWKS) to close the
// connection. Before it writes an answer, net/http reads what is left of
// the body so that the connection can serve the next request; a client
// that sent its headers and holds the body back would keep that read,
// its goroutine and the answer waiting for as long as it likes. Closing
// skips the read: the answer goes out at once. HTTP/2 streams are not
// drained, and Connection means nothing there (net/http would take it
// for a request to shut the whole connection down), so they are left
// alone.
func CloseUnreadBody(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor == 1 && r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
		w.Header().Set("Connection", "close")
	}
}
