// Package notifytest provides local stand-ins for the third parties that
// deliver PIN reset messages: an SMTP server (go-smtp on 127.0.0.1) and an
// HTTP SMS provider shaped like Twilio's Messages API. Both record what
// they receive, so tests can read the message a user would get. It is for
// tests only.
package notifytest

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Mail is one message an SMTPServer accepted.
type Mail struct {
	// From and To are the envelope addresses.
	From string
	To   []string
	// Data is the message as sent (headers and MIME body).
	Data []byte
	// User is the authenticated username ("" without AUTH).
	User string
	// TLS reports whether the session was encrypted.
	TLS bool
}

// SMTPServer is an SMTP server on 127.0.0.1 that records every message.
// With a Username it offers AUTH PLAIN and refuses mail without a
// successful login.
type SMTPServer struct {
	// Addr is the server's host:port.
	Addr string

	username, password string
	srv                *smtp.Server

	mu         sync.Mutex
	mails      []Mail
	authFailed int
	changed    chan struct{} // closed and replaced on every change
}

// SMTPOptions configures NewSMTPServer.
type SMTPOptions struct {
	// Username and Password, when set, are required (AUTH PLAIN).
	Username, Password string
	// TLS enables STARTTLS with this server configuration, or with
	// Implicit TLS from the first byte.
	TLS      *tls.Config
	Implicit bool
}

// NewSMTPServer starts a server on a free loopback port; it stops with the
// test.
func NewSMTPServer(t testing.TB, opts SMTPOptions) *SMTPServer {
	t.Helper()
	s := &SMTPServer{username: opts.Username, password: opts.Password, changed: make(chan struct{})}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, c: c}, nil
	}))
	s.srv.Domain = "localhost"
	s.srv.TLSConfig = opts.TLS
	// Credentials in clear are fine on loopback; without TLS the server
	// would otherwise refuse AUTH.
	s.srv.AllowInsecureAuth = opts.TLS == nil
	s.srv.ReadTimeout, s.srv.WriteTimeout = 10*time.Second, 10*time.Second
	s.srv.MaxMessageBytes = 1 << 20
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = l.Addr().String()
	if opts.Implicit {
		l = tls.NewListener(l, opts.TLS)
	}
	go func() { _ = s.srv.Serve(l) }()
	t.Cleanup(func() { _ = s.srv.Close() })
	return s
}

// Mails returns the messages received so far.
func (s *SMTPServer) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// AuthFailures returns how many logins were refused.
func (s *SMTPServer) AuthFailures() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authFailed
}

// WaitMails waits until at least n messages arrived and returns them all;
// it fails the test after timeout.
func (s *SMTPServer) WaitMails(t testing.TB, n int, timeout time.Duration) []Mail {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		got, changed := append([]Mail(nil), s.mails...), s.changed
		s.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("the SMTP server received %d message(s) within %v, want %d", len(got), timeout, n)
		}
	}
}

// notify wakes waiters; the caller holds s.mu.
func (s *SMTPServer) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// session is one SMTP connection.
type session struct {
	s    *SMTPServer
	c    *smtp.Conn
	user string
	from string
	to   []string
}

func (x *session) AuthMechanisms() []string {
	if x.s.username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (x *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != x.s.username || password != x.s.password {
			x.s.mu.Lock()
			x.s.authFailed++
			x.s.mu.Unlock()
			return errors.New("invalid credentials")
		}
		x.user = username
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if x.s.username != "" && x.user == "" {
		return smtp.ErrAuthRequired
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, tlsOn := x.c.TLSConnectionState()
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	x.s.mails = append(x.s.mails, Mail{From: x.from, To: x.to, Data: b, User: x.user, TLS: tlsOn})
	x.s.notify()
	return nil
}

func (x *session) Reset() { x.from, x.to = "", nil }

func (x *session) Logout() error { return nil }
