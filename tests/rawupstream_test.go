package tests

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// rawUpstreamBody is what the raw upstream answers.
const rawUpstreamBody = "raw upstream"

// rawUpstream is an app behind reverse_proxy that parses nothing it does
// not have to: it records each request line, header block and trailer
// block exactly as the bytes arrived, so a test sees what the proxy sent
// and not what a Go server would make of it.
type rawUpstream struct {
	ln   net.Listener
	mu   sync.Mutex
	reqs []rawRequestSeen
	wg   sync.WaitGroup
}

// rawRequestSeen is one request as it reached the raw upstream.
type rawRequestSeen struct {
	// Line is the request line ("GET /x HTTP/1.1").
	Line string
	// Header is the header block, canonical names (textproto) for lookup;
	// HeaderLines are the lines as sent.
	Header      textproto.MIMEHeader
	HeaderLines []string
	Body        string
	// TrailerLines are a chunked body's trailer fields, as sent.
	TrailerLines []string
}

// Target is the request-target of the request line.
func (s rawRequestSeen) Target() string {
	f := strings.Fields(s.Line)
	if len(f) < 2 {
		return ""
	}
	return f[1]
}

func newRawUpstream(t *testing.T) *rawUpstream {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &rawUpstream{ln: ln}
	u.wg.Add(1)
	go u.serve()
	t.Cleanup(func() {
		ln.Close()
		u.wg.Wait()
	})
	return u
}

func (u *rawUpstream) addr() string { return u.ln.Addr().String() }

func (u *rawUpstream) serve() {
	defer u.wg.Done()
	var conns sync.WaitGroup
	defer conns.Wait()
	var open []net.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	for {
		c, err := u.ln.Accept()
		if err != nil {
			return
		}
		open = append(open, c)
		conns.Add(1)
		go func() {
			defer conns.Done()
			defer c.Close()
			u.serveConn(c)
		}()
	}
}

// serveConn answers the requests of one keep-alive connection.
func (u *rawUpstream) serveConn(c net.Conn) {
	tp := textproto.NewReader(bufio.NewReader(c))
	for {
		seen, err := readRawRequest(tp)
		if err != nil {
			return
		}
		u.mu.Lock()
		u.reqs = append(u.reqs, seen)
		u.mu.Unlock()
		resp := "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
			strconv.Itoa(len(rawUpstreamBody)) + "\r\n\r\n" + rawUpstreamBody
		if _, err := io.WriteString(c, resp); err != nil {
			return
		}
	}
}

// readRawRequest reads one request: its line, headers, and a body by
// Content-Length or chunked, keeping a chunked body's trailer lines.
func readRawRequest(tp *textproto.Reader) (rawRequestSeen, error) {
	var s rawRequestSeen
	line, err := tp.ReadLine()
	if err != nil {
		return s, err
	}
	s.Line = line
	if s.HeaderLines, err = readFieldLines(tp); err != nil {
		return s, err
	}
	s.Header = textproto.MIMEHeader{}
	for _, l := range s.HeaderLines {
		if name, value, ok := strings.Cut(l, ":"); ok {
			s.Header.Add(textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(name)), strings.TrimSpace(value))
		}
	}
	switch {
	case strings.EqualFold(s.Header.Get("Transfer-Encoding"), "chunked"):
		var body strings.Builder
		for {
			sizeLine, err := tp.ReadLine()
			if err != nil {
				return s, err
			}
			sizeHex, _, _ := strings.Cut(sizeLine, ";")
			n, err := strconv.ParseInt(strings.TrimSpace(sizeHex), 16, 64)
			if err != nil || n < 0 {
				return s, errors.New("bad chunk size")
			}
			if n == 0 {
				break
			}
			buf := make([]byte, n+2) // data and CRLF
			if _, err := io.ReadFull(tp.R, buf); err != nil {
				return s, err
			}
			body.Write(buf[:n])
		}
		if s.TrailerLines, err = readFieldLines(tp); err != nil {
			return s, err
		}
		s.Body = body.String()
	case s.Header.Get("Content-Length") != "":
		n, err := strconv.ParseInt(s.Header.Get("Content-Length"), 10, 64)
		if err != nil || n < 0 {
			return s, errors.New("bad Content-Length")
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(tp.R, buf); err != nil {
			return s, err
		}
		s.Body = string(buf)
	}
	return s, nil
}

// readFieldLines reads header or trailer lines, as sent, up to the empty
// line that ends them.
func readFieldLines(tp *textproto.Reader) ([]string, error) {
	var lines []string
	for {
		l, err := tp.ReadLine()
		if err != nil || l == "" {
			return lines, err
		}
		lines = append(lines, l)
	}
}

// requests returns a copy of what the raw upstream received so far.
func (u *rawUpstream) requests() []rawRequestSeen {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]rawRequestSeen(nil), u.reqs...)
}
