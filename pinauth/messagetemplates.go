package pinauth

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
//
// A template directory (Config.MessageTemplates, then Tenant.
// MessageTemplates over it) replaces the files of the same name and may
// add sets, which the emailtemplate and smstemplate query parameters of
// the forgot-PIN and forgot-password calls select by name. Text parts use
// text/template, HTML parts html/template, so every value is escaped for
// HTML. The templates see messageData. Every template is executed once
// with sample data when the gateway starts, so a broken one stops it
// there.

//go:embed messages
var builtinMessages embed.FS

// The built-in template sets.
const (
	setResetLink         = "pin_reset_link"
	setResetOTP          = "pin_reset_otp"
	setPasswordResetLink = "password_reset_link"
	setPasswordResetOTP  = "password_reset_otp"
)

// messageData is what message templates see.
type messageData struct {
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

// messageSet is one template set; nil parts are absent.
type messageSet struct {
	subject, text, sms *ttemplate.Template
	html               *htemplate.Template
}

// messageTemplates are the sets available to a tenant, by name.
type messageTemplates map[string]*messageSet

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

// loadMessageTemplates builds every tenant's template sets: the built-in
// ones, under cfg.MessageTemplates, under the tenant's own directory.
func loadMessageTemplates(cfg *Config) (map[string]messageTemplates, error) {
	builtin, err := fs.Sub(builtinMessages, "messages")
	if err != nil {
		return nil, err
	}
	base := messageTemplates{}
	if err := base.load(builtin, "built-in templates"); err != nil {
		return nil, err
	}
	if dir := cfg.MessageTemplates; dir != "" {
		if err := base.load(os.DirFS(dir), dir); err != nil {
			return nil, err
		}
	}
	if err := base.check(); err != nil {
		return nil, err
	}
	out := make(map[string]messageTemplates, len(cfg.Tenants))
	for _, t := range cfg.Tenants {
		if t.MessageTemplates == "" {
			out[t.Name] = base
			continue
		}
		m := make(messageTemplates, len(base))
		for k, v := range base {
			m[k] = v
		}
		if err := m.load(os.DirFS(t.MessageTemplates), t.MessageTemplates); err != nil {
			return nil, fmt.Errorf("tenant %q: %w", t.Name, err)
		}
		if err := m.check(); err != nil {
			return nil, fmt.Errorf("tenant %q: %w", t.Name, err)
		}
		out[t.Name] = m
	}
	for _, t := range cfg.Tenants {
		for alias, set := range t.TemplateAliases {
			if out[t.Name][set] == nil {
				return nil, fmt.Errorf("pinauth: tenant %q: template_alias %q: no message template set %q", t.Name, alias, set)
			}
		}
	}
	return out, nil
}

// load parses the template files of fsys's top directory into m, each
// replacing the part of the same name. where names fsys in errors.
func (m messageTemplates) load(fsys fs.FS, where string) error {
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

func (m messageTemplates) parse(fsys fs.FS, name, set, part string) error {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	if len(b) > maxTemplateBytes {
		return fmt.Errorf("larger than %d KiB", maxTemplateBytes>>10)
	}
	// Copy the set: the map may share it with another tenant's.
	s := &messageSet{}
	if old := m[set]; old != nil {
		*s = *old
	}
	src := string(b)
	switch part {
	case "html":
		s.html, err = htemplate.New(name).Option("missingkey=error").Parse(src)
	default:
		var t *ttemplate.Template
		t, err = ttemplate.New(name).Option("missingkey=error").Parse(src)
		switch part {
		case "subject":
			s.subject = t
		case "text":
			s.text = t
		case "sms":
			s.sms = t
		}
	}
	if err != nil {
		return err
	}
	m[set] = s
	return nil
}

// sampleMessage is what check renders every template with.
var sampleMessage = messageData{
	Tenant: "demo", Name: "Alice", Email: "alice@example.com",
	Link:  "https://app.example.com/reset?vtype=resetpin&vtoken=00000000-0000-4000-8000-000000000000",
	Token: "00000000-0000-4000-8000-000000000000", OTP: "123456", Minutes: 15,
	ExpiresAt: "2030-01-02T15:04:05Z",
}

// check verifies that the built-in sets are complete, that every set is
// a whole email set (subject and text) or an SMS set or both, and that
// every template renders.
func (m messageTemplates) check() error {
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
	if m.email(setResetLink) == nil || m.email(setResetOTP) == nil || m.email(setPasswordResetLink) == nil ||
		m.email(setPasswordResetOTP) == nil || m.smsSet(setResetOTP) == nil {
		return errors.New("pinauth: message templates: a built-in set lost a part")
	}
	return nil
}

// pick returns the set a call's emailtemplate or smstemplate names: the
// set the tenant's alias for the name points to, else the set of that
// name, else the call's built-in set. part is email or smsSet: a set that
// cannot render the message counts as absent. LoginRadius's SDKs send the
// template names of a LoginRadius site (its forgot-PIN document makes
// emailtemplate required), which mean nothing here: unknown names get
// the built-in message rather than an error.
func (m messageTemplates) pick(t *Tenant, name, builtin string, part func(messageTemplates, string) *messageSet) *messageSet {
	if target, ok := t.TemplateAliases[name]; ok {
		name = target
	}
	if s := part(m, name); s != nil {
		return s
	}
	return part(m, builtin)
}

// email returns the named set when it can render an email.
func (m messageTemplates) email(name string) *messageSet {
	if s := m[name]; s != nil && s.text != nil {
		return s
	}
	return nil
}

// smsSet returns the named set when it can render an SMS.
func (m messageTemplates) smsSet(name string) *messageSet {
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
func (s *messageSet) renderEmail(d messageData) (renderedEmail, error) {
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
func (s *messageSet) renderSMS(d messageData) (string, error) {
	var b strings.Builder
	if err := s.sms.Execute(&b, d); err != nil {
		return "", err
	}
	return strings.TrimSpace(b.String()), nil
}

// newMessageData fills the parts of messageData common to every message.
func newMessageData(tenant, name string, ttl time.Duration, expires time.Time) messageData {
	return messageData{
		Tenant: tenant, Name: name, Minutes: int(ttl / time.Minute),
		ExpiresAt: expires.UTC().Format(time.RFC3339),
	}
}
