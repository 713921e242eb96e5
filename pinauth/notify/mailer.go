package notify

import (
	"context"
	"crypto/tls"
	"net"
	"strconv"

	"github.com/wneessen/go-mail"
)

// mailer sends emails through the configured SMTP server with go-mail: a
// maintained library that does STARTTLS and implicit TLS, picks the
// strongest authentication both sides support, and writes the MIME
// (multipart/alternative, quoted-printable, encoded headers) that
// net/smtp leaves to the caller.
type mailer struct {
	cfg  EmailConfig
	host string
	port int
}

func newMailer(cfg EmailConfig) *mailer {
	// WithDefaults checked that Addr is host:port with a numeric port.
	host, port, _ := net.SplitHostPort(cfg.Addr)
	n, _ := strconv.Atoi(port)
	return &mailer{cfg: cfg, host: host, port: n}
}

// send delivers one email to to; ctx bounds the whole exchange. Errors
// carry the server's answer, never the password.
func (m *mailer) send(ctx context.Context, to string, e renderedEmail) error {
	msg := mail.NewMsg()
	if err := msg.From(m.cfg.From); err != nil {
		return err
	}
	if err := msg.To(to); err != nil {
		return err
	}
	msg.Subject(e.subject)
	msg.SetMessageID()
	msg.SetDate()
	msg.SetBodyString(mail.TypeTextPlain, e.text)
	if e.html != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, e.html)
	}
	client, err := mail.NewClient(m.host, m.options()...)
	if err != nil {
		return err
	}
	return client.DialAndSendWithContext(ctx, msg)
}

// options are the go-mail client options of the configuration.
func (m *mailer) options() []mail.Option {
	tc := m.cfg.TLS
	if tc == nil {
		tc = &tls.Config{ServerName: m.host, MinVersion: tls.VersionTLS12}
	}
	opts := []mail.Option{mail.WithPort(m.port), mail.WithTimeout(m.cfg.Timeout), mail.WithTLSConfig(tc)}
	switch m.cfg.Security {
	case SMTPTLS:
		opts = append(opts, mail.WithSSL())
	case SMTPPlain:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if m.cfg.Username != "" {
		auth := mail.SMTPAuthAutoDiscover
		if m.cfg.Security == SMTPPlain {
			// Only to a loopback relay (checked in WithDefaults).
			auth = mail.SMTPAuthPlainNoEnc
		}
		opts = append(opts, mail.WithSMTPAuth(auth), mail.WithUsername(m.cfg.Username), mail.WithPassword(m.cfg.Password))
	}
	return opts
}
