package notify

import (
	"strings"
	"testing"
)

func TestAnOverrideOfABuiltInSetMustFitItsMessage(t *testing.T) {
	t.Parallel()
	refused := []struct {
		name  string
		files []string
		want  string // in the error
	}{
		{"a link mail restyled without its link",
			[]string{"pin_reset_link.txt", "Hello {{.Name}}", "pin_reset_link.html", "<p>Hello</p>"},
			"set pin_reset_link cannot be used for its own message (link message, the set references neither .Link nor .Token)"},
		{"a code mail that shows a link",
			[]string{"password_reset_otp.txt", "Open {{.Link}} and type {{.OTP}}"},
			"set password_reset_otp cannot be used for its own message (code message, the set references .Link or .Token)"},
		{"a code SMS without its code",
			[]string{"pin_reset_otp.sms.txt", "Your PIN reset for {{.Tenant}}"},
			"set pin_reset_otp cannot be used for its own SMS (code message, the set does not reference .OTP)"},
		{"a language twin without its code",
			[]string{"email_verification_otp_de.txt", "Hallo", "email_verification_otp_de.html", "<p>Hallo</p>"},
			"set email_verification_otp_de cannot be used for its own message"},
		{"a welcome with a link",
			[]string{"welcome_fr.html", `<a href="{{.Link}}">ici</a>`},
			"set welcome_fr cannot be used for its own message (message with no link or code"},
	}
	for _, c := range refused {
		dir := writeFiles(t, c.files...)
		for _, o := range []Options{{Templates: dir, Tenants: []TenantTemplates{{Name: "demo"}}},
			{Tenants: []TenantTemplates{{Name: "plain"}, {Name: "demo", Dir: dir}}}} {
			_, err := New(o)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s (global %t): New = %v, want an error containing %q", c.name, o.Templates != "", err, c.want)
			}
		}
	}

	// Overrides that fit load, and so do sets named like no built-in one.
	dir := writeFiles(t,
		"pin_reset_link.txt", "Your token: {{.Token}}", "pin_reset_link.html", "<p>{{.Token}}</p>",
		"pin_reset_otp.sms.txt", "{{.OTP}}",
		"pin_reset_link_es.subject.txt", "PIN", "pin_reset_link_es.txt", "Abra {{.Link}}",
		"welcome_vip.subject.txt", "Hi", "welcome_vip.txt", "Your code {{.OTP}}",
	)
	n, err := New(Options{Templates: dir, Tenants: []TenantTemplates{{Name: "demo"}}})
	if err != nil {
		t.Fatalf("fitting overrides: %v", err)
	}
	if s := n.EmailSet("demo", SetPINResetLink, SetPINResetLink); s == nil || s.refs.text != refToken {
		t.Fatalf("the restyled pin_reset_link is not the one used: %+v", s)
	}
}
