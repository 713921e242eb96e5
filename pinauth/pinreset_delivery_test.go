package pinauth

import (
	"bytes"
	"net"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/pinauth/caddy-pinauth/pinauth/notify"
	"github.com/pinauth/caddy-pinauth/pinauth/notifytest"
)

func TestMailerSendsOverSTARTTLSAndImplicitTLSWithAuthentication(t *testing.T) {
	t.Parallel()
	for _, implicit := range []bool{false, true} {
		serverTLS, clientTLS := notifytest.SelfSignedTLS(t)
		srv := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{Username: smtpUser, Password: smtpPass, TLS: serverTLS, Implicit: implicit})
		security := notify.SMTPStartTLS
		if implicit {
			security = notify.SMTPTLS
		}
		e := newResetEnv(t, func(c *Config) {
			c.Email = &notify.EmailConfig{Addr: srv.Addr, From: mailFrom, Username: smtpUser, Password: smtpPass,
				Security: security, TLS: clientTLS}
		})
		e.createAccount(testEmail, testPIN)
		wantOK(t, security, e.forgotByEmail(testEmail))
		m := srv.WaitMails(t, 1, mailWait)[0]
		if !m.TLS || m.User != smtpUser {
			t.Fatalf("%s: TLS %v, authenticated as %q", security, m.TLS, m.User)
		}
		em, err := notifytest.ParseEmail(m.Data)
		if err != nil || !resetTokenInLink.MatchString(em.Text) {
			t.Fatalf("%s: email %v %s", security, err, em.Text)
		}
	}
}

func TestMailerRefusesAServerWithoutSTARTTLS(t *testing.T) {
	t.Parallel()
	core, logs := observer.New(zap.InfoLevel)
	srv := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{})
	e := newResetEnv(t, func(c *Config) {
		c.Email = &notify.EmailConfig{Addr: srv.Addr, From: mailFrom, Username: smtpUser, Password: smtpPass, Security: notify.SMTPStartTLS}
		c.Logger = zap.New(core)
	})
	e.createAccount(testEmail, testPIN)
	wantOK(t, "forgot", e.forgotByEmail(testEmail))
	e.waitIdle()
	if n := len(srv.Mails()); n != 0 {
		t.Fatalf("%d emails sent in clear", n)
	}
	failed := logs.FilterMessage("pin reset message not sent").All()
	if len(failed) != 1 {
		t.Fatalf("want one failure logged, got %d", len(failed))
	}
	for _, entry := range logs.All() {
		for _, f := range entry.Context {
			if strings.Contains(f.String, smtpPass) || strings.Contains(f.String, testEmail) {
				t.Fatalf("a log line carries a secret or the address: %s %v", entry.Message, f)
			}
			if err, ok := f.Interface.(error); ok && strings.Contains(err.Error(), smtpPass) {
				t.Fatalf("a logged error carries the password: %v", err)
			}
		}
	}
}

func TestForgotPINDoesNotWaitForAHungSMTPServer(t *testing.T) {
	t.Parallel()
	// A server that accepts connections and never says a word.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 8)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	defer func() {
		for {
			select {
			case c := <-accepted:
				c.Close()
			default:
				return
			}
		}
	}()
	e := newResetEnv(t, func(c *Config) {
		c.Email = &notify.EmailConfig{Addr: l.Addr().String(), From: mailFrom, Security: notify.SMTPPlain, Timeout: 3 * time.Second}
	})
	e.createAccount(testEmail, testPIN)
	wantOK(t, "forgot", e.forgotByEmail(testEmail))
	// The call has answered while its delivery still hangs on the server.
	if e.gw.sends.Idle() {
		t.Fatal("the delivery finished before the call answered: the call waited for the SMTP server")
	}
	select {
	case <-accepted:
	case <-time.After(mailWait):
		t.Fatal("the worker never connected")
	}
	// The delivery gives up after its timeout, so the queue drains.
	e.waitIdle()
}

func TestSMSProviderRefusalIsLoggedWithoutTheNumberOrToken(t *testing.T) {
	t.Parallel()
	core, logs := observer.New(zap.InfoLevel)
	e := newResetEnv(t, func(c *Config) { c.Logger = zap.New(core) })
	e.createPhoneAccount(testEmail, "alice", testPhone, testPIN)
	e.sms.Fail(500)
	wantOK(t, "forgot by phone", e.forgot("otp", map[string]string{"phone": testPhone}, ""))
	e.waitIdle()
	failed := logs.FilterMessage("pin reset message not sent").All()
	if len(failed) != 1 {
		t.Fatalf("want one failure logged, got %d", len(failed))
	}
	var buf bytes.Buffer
	for _, f := range failed[0].Context {
		buf.WriteString(f.String)
		if err, ok := f.Interface.(error); ok {
			buf.WriteString(err.Error())
		}
	}
	if s := buf.String(); !strings.Contains(s, "500") || strings.Contains(s, testPhone) || strings.Contains(s, smsToken) {
		t.Fatalf("logged: %s", s)
	}
}

func TestWrongSMSCredentialsAreRefusedByTheProvider(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, func(c *Config) { c.SMS.Password = "wrong-token" })
	e.createPhoneAccount(testEmail, "alice", testPhone, testPIN)
	wantOK(t, "forgot by phone", e.forgot("otp", map[string]string{"phone": testPhone}, ""))
	e.waitIdle()
	if e.sms.Rejected() != 1 || len(e.sms.Messages()) != 0 {
		t.Fatalf("rejected %d, accepted %d", e.sms.Rejected(), len(e.sms.Messages()))
	}
}
