package notify

import (
	htemplate "html/template"
	"strings"
	"testing"
	ttemplate "text/template"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestTemplateRefsFindTheSecretFieldsWhereverTheyAreUsed(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, src string
		want      secretRefs
	}{
		{"none", `Hello {{.Name}}, {{.Minutes}} minutes, {{printf "%s" .Tenant}}`, 0},
		{"action", `Open {{.Link}}`, refLink},
		{"root variable", `{{$.Token}}`, refToken},
		{"chain", `{{(.).OTP}}`, refOTP},
		{"field of a field", `{{.Link.Host}}`, refLink},
		{"if condition", `{{if .OTP}}a code{{end}}`, refOTP},
		{"if body", `{{if .Name}}{{.Link}}{{end}}`, refLink},
		{"else body", `{{if .Name}}hi{{else}}{{.OTP}}{{end}}`, refOTP},
		{"with", `{{with .Token}}{{.}}{{end}}`, refToken},
		{"range body", `{{range $i := .Minutes}}{{$.OTP}}{{end}}`, refOTP},
		{"template call argument", `{{define "x"}}{{.}}{{end}}{{template "x" .Link}}`, refLink},
		{"defined template", `{{define "x"}}{{.OTP}}{{end}}{{template "x" .}}`, refOTP},
		{"block", `{{block "b" .}}{{.Token}}{{end}}`, refToken},
		{"pipeline", `{{.Name | printf "%s"}} {{.Link | printf "%s"}}`, refLink},
		{"variable declaration", `{{$c := .OTP}}{{$c}}`, refOTP},
		{"several", `{{.Link}} {{.OTP}}`, refLink | refOTP},
		{"a field of another value", `{{with .Name}}{{.Len}}{{end}}`, 0},
	}
	for _, c := range cases {
		if got := textRefs(ttemplate.Must(ttemplate.New(c.name).Parse(c.src))); got != c.want {
			t.Errorf("text %s: refs %03b, want %03b", c.name, got, c.want)
		}
		if got := htmlRefs(htemplate.Must(htemplate.New(c.name).Parse(c.src))); got != c.want {
			t.Errorf("html %s: refs %03b, want %03b", c.name, got, c.want)
		}
	}
}

func TestEveryBuiltInSetFitsItsOwnMessage(t *testing.T) {
	t.Parallel()
	n, err := New(Options{Tenants: []TenantTemplates{{Name: "demo"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(n.languages) != 2 || !n.languages["de"] || !n.languages["fr"] {
		t.Fatalf("built-in languages %v, want de and fr", n.languages)
	}
	for name, s := range n.templates["demo"] {
		kind, ok := kindOf(name, n.languages)
		if !ok {
			t.Errorf("built-in set %s has no kind", name)
			continue
		}
		if why := kind.misfit(channelEmail.refs(s)); why != "" {
			t.Errorf("built-in set %s: %s", name, why)
		}
		if s.sms != nil {
			if why := kind.misfit(channelSMS.refs(s)); why != "" {
				t.Errorf("built-in set %s, SMS: %s", name, why)
			}
		}
	}
}

func TestANamedSetThatCannotCarryTheMessageIsNotUsed(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t,
		"brand_link.subject.txt", "Brand", "brand_link.txt", "{{if .Token}}Open {{.Link}}{{end}}",
		"brand_code.subject.txt", "Brand", "brand_code.txt", "{{template \"c\" .OTP}}{{define \"c\"}}Code {{.}}{{end}}",
		"brand_plain.subject.txt", "Brand", "brand_plain.txt", "Hello {{.Name}}",
		"brand_html.subject.txt", "Brand", "brand_html.txt", "Hello", "brand_html.html", `<a href="{{.Link}}">go</a>`,
		"pin_reset_link_de.subject.txt", "PIN", "pin_reset_link_de.txt", "Öffnen Sie {{.Link}}",
		"brand_sms_link.sms.txt", "Open {{.Link}}",
		"brand_sms_code.sms.txt", "Code {{.OTP}}",
	)
	core, logs := observer.New(zapcore.WarnLevel)
	n, err := New(Options{Log: zap.New(core), Tenants: []TenantTemplates{{Name: "demo", Dir: dir,
		Aliases: map[string]string{"LR-Verify": "email_verification_link_fr"}}}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, builtin, want string
		sms                 bool
	}{
		{"email_verification_link_de", SetEmailVerificationOTP, "email_verification_otp_de", false},
		{"LR-Verify", SetEmailVerificationOTP, "email_verification_otp_fr", false},
		{"email_verification_otp", SetEmailVerificationLink, SetEmailVerificationLink, false},
		{"email_verification_otp_de", SetEmailVerificationLink, "email_verification_link_de", false},
		{"pin_reset_link", SetPINResetOTP, SetPINResetOTP, false},
		{"pin_reset_link_de", SetPINResetOTP, SetPINResetOTP, false},
		{"pin_reset_otp", SetPINResetLink, SetPINResetLink, false},
		{"password_reset_link", SetPasswordResetOTP, SetPasswordResetOTP, false},
		{"welcome", SetAccountDeleteLink, SetAccountDeleteLink, false},
		{"brand_code", SetPINResetLink, SetPINResetLink, false},
		{"brand_link", SetWelcome, SetWelcome, false},
		{"email_verification_otp_fr", SetWelcome, "welcome_fr", false},
		{"brand_sms_link", SetPINResetOTP, SetPINResetOTP, true},
		// Sets that fit are used, built-in or not.
		{"brand_link", SetPINResetLink, "brand_link", false},
		{"brand_html", SetPasswordResetLink, "brand_html", false},
		{"brand_code", SetEmailVerificationOTP, "brand_code", false},
		{"brand_plain", SetWelcome, "brand_plain", false},
		{"welcome_de", SetWelcome, "welcome_de", false},
		{"email_verification_link_fr", SetEmailVerificationLink, "email_verification_link_fr", false},
		{"brand_sms_code", SetPINResetOTP, "brand_sms_code", true},
		{"no-such-set", SetPINResetOTP, SetPINResetOTP, false},
	}
	warned := 0
	for _, c := range cases {
		pick, what := n.EmailSet, "email"
		if c.sms {
			pick, what = n.SMSSet, "sms"
		}
		got := pick("demo", c.name, c.builtin)
		if got == nil {
			t.Fatalf("%s %s for %s: no set", what, c.name, c.builtin)
		}
		if got.name != c.want {
			t.Errorf("%s %s for %s: got %s, want %s", what, c.name, c.builtin, got.name, c.want)
		}
		if c.want != c.name && c.name != "no-such-set" {
			warned++ // a set was named and refused
		}
	}
	if logs.Len() != warned {
		t.Fatalf("%d warnings, want %d (one per refused set)", logs.Len(), warned)
	}
	w := logs.All()[0]
	f := w.ContextMap()
	if w.Message != "message template set not used" || f["tenant"] != "demo" || f["template_set"] != "email_verification_link_de" ||
		f["fallback"] != "email_verification_otp_de" || !strings.Contains(f["reason"].(string), ".OTP") {
		t.Fatalf("warning %q %v", w.Message, f)
	}
}
