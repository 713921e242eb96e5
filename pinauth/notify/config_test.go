package notify

import (
	"strings"
	"testing"
)

func TestValidateRefusesWhatCannotSendWithoutEchoingSecrets(t *testing.T) {
	t.Parallel()
	const pass = "smtp-pass-8c1e"
	good := EmailConfig{Addr: "smtp.example.com:587", From: "no-reply@example.com", Username: "u", Password: pass}
	for name, c := range map[string]struct {
		mut  func(*EmailConfig)
		want string
	}{
		"port out of range": {func(e *EmailConfig) { e.Addr = "smtp.example.com:70000" }, "is not host:port"},
		"no host":           {func(e *EmailConfig) { e.Addr = ":25" }, "is not host:port"},
		"plain off host":    {func(e *EmailConfig) { e.Security = SMTPPlain }, "loopback"},
	} {
		e := good
		c.mut(&e)
		err := e.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), pass) {
			t.Errorf("%s: Validate = %v, want an error about %q without the password", name, err, c.want)
		}
		if _, werr := e.WithDefaults(); werr == nil || werr.Error() != err.Error() {
			t.Errorf("%s: WithDefaults = %v, want Validate's error", name, werr)
		}
	}
	loopback := good
	loopback.Addr, loopback.Security = "127.0.0.1:25", SMTPPlain
	if err := loopback.Validate(); err != nil {
		t.Errorf("plain with a password to a loopback relay: %v", err)
	}
	s := SMSConfig{URL: "http://sms.example.com/x", Password: "t", From: "+1555"}
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "https") {
		t.Errorf("sms over http off host: %v", err)
	}
	s.URL = "http://[::1]:9000/x"
	if err := s.Validate(); err != nil {
		t.Errorf("sms over http to a loopback host: %v", err)
	}
}
