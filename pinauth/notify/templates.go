package notify

import (
	"embed"
	"errors"
	"fmt"
	htemplate "html/template"
	"io/fs"
	"os"
	"path"
	"regexp"
	"strings"
	ttemplate "text/template"
	"time"
)

// PIN reset messages are rendered from template sets. A set named N is up
// to four files: N.subject.txt (the email subject), N.txt (the plain-text
// email body), N.html (the HTML alternative) and N.sms.txt (an SMS body);
// an email set needs the subject and the text, an SMS set only its
// N.sms.txt. The built-in sets (embedded from messages/) are
//
//	pin_reset_link       the email with a reset link (forgot-PIN by email or username)
//	pin_reset_otp        the email and the SMS with a 6-digit OTP
//	password_reset_link  the email with a password reset link (forgot password)
//	password_reset_otp   the email with a 6-digit password reset code (password_reset_email otp)
//	account_delete_link  the email with the link confirming an account's deletion (DELETE /auth/account)
//	email_verification_link  the email with an email verification link (sign-up, issue 20)
//	email_verification_otp   the email with a 6-digit email verification code
//	welcome              the welcome email, once an account's email is verified
//
// The last three have German and French twins (N_de, N_fr), which a call
// selects as any set, by its emailtemplate or welcomeemailtemplate.
//
// A template directory (Options.Templates, then the tenant's
// TenantTemplates.Dir over it) replaces the files of the same name and may
// add sets, which the emailtemplate and smstemplate query parameters of
// the forgot-PIN and forgot-password calls select by name; a named set
// whose parts do not use the secret the message carries (.Link or .Token
// for a link, .OTP for a code) is not used (see pick). Text parts use
// text/template, HTML parts html/template, so every value is escaped for
// HTML. The templates see Data. Every template is executed once with
// sample data when New loads them, so a broken one stops the gateway at
// its start.

//go:embed messages
var builtinMessages embed.FS

// The built-in template sets.
const (
	// SetPINResetLink is the email with a PIN reset link.
	SetPINResetLink = "pin_reset_link"
	// SetPINResetOTP is the email and the SMS with a PIN reset OTP.
	SetPINResetOTP = "pin_reset_otp"
	// SetPasswordResetLink is the email with a password reset link.
	SetPasswordResetLink = "password_reset_link"
	// SetPasswordResetOTP is the email with a password reset code.
	SetPasswordResetOTP = "password_reset_otp"
	// SetAccountDeleteLink is the email with an account deletion link.
	SetAccountDeleteLink = "account_delete_link"
	// SetEmailVerificationLink is the email with a verification link.
	SetEmailVerificationLink = "email_verification_link"
	// SetEmailVerificationOTP is the email with a verification code.
	SetEmailVerificationOTP = "email_verification_otp"
	// SetWelcome is the welcome email.
	SetWelcome = "welcome"
)

// Data is what message templates see.
type Data struct {
	// Tenant is the tenant's name.
	Tenant string
	// Name is the account's first name, else its full name, else "".
	Name string
	// Email is the address an email goes to ("" for an SMS).
	Email string
	// Link is the reset link (link emails only).
	Link string
	// Token is the reset token alone (link emails only), for templates
	// that build their own link.
	Token string
	// OTP is the 6-digit code (OTP messages only).
	OTP string
	// Minutes is the lifetime of the link or code in whole minutes.
	Minutes int
	// ExpiresAt is when the link or code expires, RFC 3339 in UTC.
	ExpiresAt string
}

// Set is one template set; nil parts are absent.
type Set struct {
	name               string // the set's name, for logs
	subject, text, sms *ttemplate.Template
	html               *htemplate.Template
	refs               partRefs
}

// partRefs are the secret fields each part of a set references.
type partRefs struct{ subject, text, html, sms secretRefs }

// templates are the sets available to a tenant, by name.
type templates map[string]*Set

// maxTemplateBytes bounds one template file.
const maxTemplateBytes = 64 << 10

// maxSubjectRunes bounds a rendered subject.
const maxSubjectRunes = 200

var templateSetName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// templateParts maps a file suffix to the part it holds; longer suffixes
// first, since ".txt" ends the others too.
var templateParts = []struct{ suffix, part string }{
	{".subject.txt", "subject"}, {".sms.txt", "sms"}, {".txt", "text"}, {".html", "html"},
}

// loadTemplates builds every tenant's template sets: the built-in ones,
// under the directory dir, under the tenant's own directory. langs are the
// built-in sets' languages (builtinLanguages).
func loadTemplates(dir string, tenants []TenantTemplates, langs map[string]bool) (map[string]templates, error) {
	builtin, err := fs.Sub(builtinMessages, "messages")
	if err != nil {
		return nil, err
	}
	base := templates{}
	if err := base.load(builtin, "built-in templates"); err != nil {
		return nil, err
	}
	if dir != "" {
		if err := base.load(os.DirFS(dir), dir); err != nil {
			return nil, err
		}
	}
	if err := base.check(langs); err != nil {
		return nil, err
	}
	out := make(map[string]templates, len(tenants))
	for _, t := range tenants {
		if t.Dir == "" {
			out[t.Name] = base
			continue
		}
		m := make(templates, len(base))
		for k, v := range base {
			m[k] = v
		}
		if err := m.load(os.DirFS(t.Dir), t.Dir); err != nil {
			return nil, fmt.Errorf("tenant %q: %w", t.Name, err)
		}
		if err := m.check(langs); err != nil {
			return nil, fmt.Errorf("tenant %q: %w", t.Name, err)
		}
		out[t.Name] = m
	}
	for _, t := range tenants {
		for alias, set := range t.Aliases {
			if out[t.Name][set] == nil {
				return nil, fmt.Errorf("pinauth: tenant %q: template_alias %q: no message template set %q", t.Name, alias, set)
			}
		}
	}
	return out, nil
}

// load parses the template files of fsys's top directory into m, each
// replacing the part of the same name. where names fsys in errors.
func (m templates) load(fsys fs.FS, where string) error {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return fmt.Errorf("pinauth: message templates: read %s: %w", where, err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		name, set, part := e.Name(), "", ""
		for _, p := range templateParts {
			if strings.HasSuffix(name, p.suffix) {
				set, part = strings.TrimSuffix(name, p.suffix), p.part
				break
			}
		}
		if part == "" || !templateSetName.MatchString(set) {
			continue
		}
		if err := m.parse(fsys, name, set, part); err != nil {
			return fmt.Errorf("pinauth: message templates: %s: %w", path.Join(where, name), err)
		}
	}
	return nil
}

// parse parses the file name of fsys as the part of set, over a copy of
// the set m holds.
func (m templates) parse(fsys fs.FS, name, set, part string) error {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	if len(b) > maxTemplateBytes {
		return fmt.Errorf("larger than %d KiB", maxTemplateBytes>>10)
	}
	// Copy the set: the map may share it with another tenant's.
	s := &Set{name: set}
	if old := m[set]; old != nil {
		*s = *old
	}
	src := string(b)
	if part == "html" {
		h, err := htemplate.New(name).Option("missingkey=error").Parse(src)
		if err != nil {
			return err
		}
		s.html, s.refs.html = h, htmlRefs(h)
		m[set] = s
		return nil
	}
	t, err := ttemplate.New(name).Option("missingkey=error").Parse(src)
	if err != nil {
		return err
	}
	switch part {
	case "subject":
		s.subject, s.refs.subject = t, textRefs(t)
	case "text":
		s.text, s.refs.text = t, textRefs(t)
	case "sms":
		s.sms, s.refs.sms = t, textRefs(t)
	}
	m[set] = s
	return nil
}

// sampleMessage is what check renders every template with.
var sampleMessage = Data{
	Tenant: "demo", Name: "Alice", Email: "alice@example.com",
	Link:  "https://app.example.com/reset?vtype=resetpin&vtoken=00000000-0000-4000-8000-000000000000",
	Token: "00000000-0000-4000-8000-000000000000", OTP: "123456", Minutes: 15,
	ExpiresAt: "2030-01-02T15:04:05Z",
}

// check verifies that the built-in sets are complete, that every set is
// a whole email set (subject and text) or an SMS set or both, that every
// template renders, and that a set named like a built-in one (or one of
// its language twins, langs) fits that set's message.
func (m templates) check(langs map[string]bool) error {
	for name, s := range m {
		switch {
		case (s.subject == nil) != (s.text == nil):
			return fmt.Errorf("pinauth: message templates: set %s needs both %s.subject.txt and %s.txt", name, name, name)
		case s.html != nil && s.text == nil:
			return fmt.Errorf("pinauth: message templates: set %s has %s.html but no %s.txt", name, name, name)
		}
		if s.text != nil {
			if _, err := s.renderEmail(sampleMessage); err != nil {
				return fmt.Errorf("pinauth: message templates: set %s: %w", name, err)
			}
		}
		if s.sms != nil {
			if _, err := s.renderSMS(sampleMessage); err != nil {
				return fmt.Errorf("pinauth: message templates: set %s: %w", name, err)
			}
		}
	}
	if m.email(SetPINResetLink) == nil || m.email(SetPINResetOTP) == nil || m.email(SetPasswordResetLink) == nil ||
		m.email(SetPasswordResetOTP) == nil || m.email(SetAccountDeleteLink) == nil || m.sms(SetPINResetOTP) == nil ||
		m.email(SetEmailVerificationLink) == nil || m.email(SetEmailVerificationOTP) == nil || m.email(SetWelcome) == nil {
		return errors.New("pinauth: message templates: a built-in set lost a part")
	}
	return m.checkOverrides(langs)
}

// email returns the named set when it can render an email.
func (m templates) email(name string) *Set {
	if s := m[name]; s != nil && s.text != nil {
		return s
	}
	return nil
}

// sms returns the named set when it can render an SMS.
func (m templates) sms(name string) *Set {
	if s := m[name]; s != nil && s.sms != nil {
		return s
	}
	return nil
}

// renderedEmail is an email ready to send.
type renderedEmail struct {
	subject, text, html string
}

// renderEmail renders the set's email parts. The subject becomes one line
// of at most maxSubjectRunes runes.
func (s *Set) renderEmail(d Data) (renderedEmail, error) {
	var out renderedEmail
	var b strings.Builder
	if err := s.subject.Execute(&b, d); err != nil {
		return out, err
	}
	out.subject = strings.Join(strings.Fields(b.String()), " ")
	if r := []rune(out.subject); len(r) > maxSubjectRunes {
		out.subject = string(r[:maxSubjectRunes])
	}
	b.Reset()
	if err := s.text.Execute(&b, d); err != nil {
		return out, err
	}
	out.text = b.String()
	if s.html != nil {
		b.Reset()
		if err := s.html.Execute(&b, d); err != nil {
			return out, err
		}
		out.html = b.String()
	}
	return out, nil
}

// renderSMS renders the set's SMS body, trimmed.
func (s *Set) renderSMS(d Data) (string, error) {
	var b strings.Builder
	if err := s.sms.Execute(&b, d); err != nil {
		return "", err
	}
	return strings.TrimSpace(b.String()), nil
}

// NewData fills the parts of Data common to every message.
func NewData(tenant, name string, ttl time.Duration, expires time.Time) Data {
	return Data{
		Tenant: tenant, Name: name, Minutes: int(ttl / time.Minute),
		ExpiresAt: expires.UTC().Format(time.RFC3339),
	}
}
