package notify

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"time"
)

// EmailConfig is the SMTP server that sends PIN reset emails.
type EmailConfig struct {
	// Addr is the server's host:port. Required.
	Addr string
	// From is the sender: an address, optionally with a display name
	// ("Example <no-reply@example.com>"). Required.
	From string
	// Username and Password authenticate to the server (the strongest
	// mechanism both sides support); empty for no authentication. The
	// password is never logged.
	Username string
	Password string
	// Security is SMTPStartTLS, SMTPTLS (implicit TLS, usually port 465)
	// or SMTPPlain (no TLS: only for a relay on this host when a password
	// is set). Default: SMTPStartTLS, which refuses a server without
	// STARTTLS.
	Security string
	// TLS is the client TLS configuration. Default: the system roots and
	// the host of Addr.
	TLS *tls.Config
	// Timeout bounds one delivery: connecting, TLS, authentication and
	// the message. Default: 10s.
	Timeout time.Duration
	// Limit bounds the emails sent. Default: DefaultSendLimit.
	Limit SendLimit
}

// The EmailConfig.Security values.
const (
	SMTPStartTLS = "starttls"
	SMTPTLS      = "tls"
	SMTPPlain    = "plain"
)

// SMTPSecurities lists every EmailConfig.Security value ("" aside, which
// means SMTPStartTLS).
var SMTPSecurities = []string{SMTPStartTLS, SMTPTLS, SMTPPlain}

// SMSConfig is the HTTP SMS provider that sends OTPs, shaped like Twilio's
// Messages API: a form POST of To, From and Body with HTTP basic auth, any
// 2xx answer meaning accepted.
type SMSConfig struct {
	// URL receives the POSTs (Twilio: .../Accounts/<sid>/Messages.json).
	// Required; plain http only to a loopback host.
	URL string
	// Username and Password are the basic-auth credentials (Twilio: the
	// account SID and auth token). With no Username the password is sent
	// as a bearer token instead. Never logged.
	Username string
	Password string
	// From is the sending number or sender id. Required.
	From string
	// Timeout bounds one delivery. Default: 10s.
	Timeout time.Duration
	// Limit bounds the SMS sent. Default: DefaultSendLimit.
	Limit SendLimit
}

// SendLimit bounds the messages of one channel (email or SMS).
type SendLimit struct {
	// PerIdentifier is how many messages may be asked for one identifier
	// (an email address, username or phone number) per Window, counted
	// in the store, exact across nodes, and the same whether or not an
	// account has it: the answer 1122/1123 tells nothing. (An account's
	// email can be asked for by its address and by its username, each
	// counted apart.) Default: 5.
	PerIdentifier int
	// PerIP is how many messages one client IP may ask for per Window,
	// counted in memory on each node. Default: 20.
	PerIP int
	// Window is the period both refer to. Default: 1h.
	Window time.Duration
}

// DefaultSendLimit applies to each channel unless configured.
var DefaultSendLimit = SendLimit{PerIdentifier: 5, PerIP: 20, Window: time.Hour}

// DefaultSendTimeout bounds one delivery unless configured.
const DefaultSendTimeout = 10 * time.Second

// withDefaults returns l with the defaults in place of what is not
// positive.
func (l SendLimit) withDefaults() SendLimit {
	if l.PerIdentifier <= 0 {
		l.PerIdentifier = DefaultSendLimit.PerIdentifier
	}
	if l.PerIP <= 0 {
		l.PerIP = DefaultSendLimit.PerIP
	}
	if l.Window <= 0 {
		l.Window = DefaultSendLimit.Window
	}
	return l
}

// WithDefaults returns e with the defaults applied (Security, Timeout,
// Limit), or an error naming what is wrong. Errors never contain the
// password.
func (e EmailConfig) WithDefaults() (EmailConfig, error) {
	if err := e.Validate(); err != nil {
		return e, err
	}
	if e.Security == "" {
		e.Security = SMTPStartTLS
	}
	if e.Timeout <= 0 {
		e.Timeout = DefaultSendTimeout
	}
	e.Limit = e.Limit.withDefaults()
	return e, nil
}

// Validate checks e as given, before defaults: a host:port server, a
// sender address, a known Security (plain with a password only to a
// loopback host) and a username with a password. Errors never contain
// the password.
func (e EmailConfig) Validate() error {
	host, port, err := net.SplitHostPort(e.Addr)
	if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
		return fmt.Errorf("server %q is not host:port", e.Addr)
	}
	if e.From == "" {
		return errors.New("from is required")
	}
	if _, err := mail.ParseAddress(e.From); err != nil {
		return errors.New("from is not an email address")
	}
	switch e.Security {
	case "", SMTPStartTLS, SMTPTLS:
	case SMTPPlain:
		// A password over an unencrypted connection is readable by
		// anyone on the path; only a relay on this host is exempt.
		if e.Password != "" && !isLoopbackHost(host) {
			return errors.New("a password is only sent over a plain connection to a loopback host; use starttls or tls")
		}
	default:
		return errors.New("security must be starttls, tls or plain")
	}
	if (e.Username == "") != (e.Password == "") {
		return errors.New("username and password go together")
	}
	return nil
}

// WithDefaults returns s with the defaults applied (Timeout, Limit), or
// an error naming what is wrong. Errors never contain the credentials.
func (s SMSConfig) WithDefaults() (SMSConfig, error) {
	if err := s.Validate(); err != nil {
		return s, err
	}
	if s.Timeout <= 0 {
		s.Timeout = DefaultSendTimeout
	}
	s.Limit = s.Limit.withDefaults()
	return s, nil
}

// Validate checks s as given, before defaults: an absolute http(s) URL
// without credentials (plain http only to a loopback host), a password
// and a sender. Errors never contain the credentials.
func (s SMSConfig) Validate() error {
	u, err := url.Parse(s.URL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil {
		return errors.New("the provider must be an absolute http(s) URL without credentials")
	}
	if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		return errors.New("the provider URL must use https (plain http only to a loopback host)")
	}
	if s.Password == "" {
		return errors.New("auth is required")
	}
	if s.From == "" {
		return errors.New("from is required")
	}
	return nil
}

// isLoopbackHost reports whether host is localhost or a loopback address.
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
