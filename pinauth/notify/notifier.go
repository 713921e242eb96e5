// Package notify sends the gateway's messages: the PIN and password reset
// emails (over SMTP) and SMS (over an HTTP provider), rendered from
// template sets, with their reset links checked against the tenant's
// allowed origins. A Notifier renders and sends; a Queue runs the sends in
// the background. It knows nothing of accounts or tokens: the core picks
// the recipient, issues the secret and fills the Data.
package notify

import (
	"context"
	"errors"

	"go.uber.org/zap"
)

// Options configure a Notifier.
type Options struct {
	// Email is the SMTP server; nil sends no email.
	Email *EmailConfig
	// SMS is the SMS provider; nil sends no SMS.
	SMS *SMSConfig
	// Templates is a directory over the built-in templates; "" for none.
	Templates string
	// Tenants are the tenants' own templates and aliases.
	Tenants []TenantTemplates
	// Log gets a warning when a call names a set that cannot carry its
	// message (see EmailSet); nil logs nothing.
	Log *zap.Logger
}

// TenantTemplates are one tenant's template settings.
type TenantTemplates struct {
	// Name is the tenant's name.
	Name string
	// Dir is a directory over Options.Templates; "" for none.
	Dir string
	// Aliases map the template names apps send to this tenant's sets.
	Aliases map[string]string
}

// Notifier renders and sends messages: every tenant's templates and the
// senders. It is safe for concurrent use.
type Notifier struct {
	templates map[string]templates         // by tenant name
	aliases   map[string]map[string]string // by tenant name
	mail      *mailer                      // nil without email
	sms       *smsClient                   // nil without sms
	languages map[string]bool              // the built-in sets' language suffixes
	log       *zap.Logger                  // nil: no log
}

// New loads and checks every tenant's templates (an error names the file)
// and builds the senders of the configured channels. o.Email and o.SMS
// have their defaults applied (WithDefaults).
func New(o Options) (*Notifier, error) {
	langs, err := builtinLanguages()
	if err != nil {
		return nil, err
	}
	tpl, err := loadTemplates(o.Templates, o.Tenants, langs)
	if err != nil {
		return nil, err
	}
	n := &Notifier{templates: tpl, aliases: make(map[string]map[string]string, len(o.Tenants)), languages: langs, log: o.Log}
	for _, t := range o.Tenants {
		n.aliases[t.Name] = t.Aliases
	}
	if o.Email != nil {
		n.mail = newMailer(*o.Email)
	}
	if o.SMS != nil {
		n.sms = newSMSClient(*o.SMS)
	}
	return n, nil
}

// EmailSet returns the set a call's emailtemplate names for tenant, able
// to render an email, when it fits the message of the call's built-in set
// builtin (a link, a code, or neither); else a built-in set (see pick).
func (n *Notifier) EmailSet(tenant, name, builtin string) *Set {
	return n.pick(tenant, name, builtin, channelEmail)
}

// SMSSet returns the set a call's smstemplate names for tenant, able to
// render an SMS, when it fits the message of builtin, as EmailSet does.
func (n *Notifier) SMSSet(tenant, name, builtin string) *Set {
	return n.pick(tenant, name, builtin, channelSMS)
}

// errNoChannel refuses a message for a channel that is not configured.
var errNoChannel = errors.New("notify: channel not configured")

// Email renders set's email with d and sends it to to; ctx bounds the
// exchange. Errors carry the server's answer, never the password.
func (n *Notifier) Email(ctx context.Context, to string, set *Set, d Data) error {
	if n.mail == nil {
		return errNoChannel
	}
	e, err := set.renderEmail(d)
	if err != nil {
		return err
	}
	return n.mail.send(ctx, to, e)
}

// SMS renders set's SMS with d and sends it to to; ctx bounds the
// exchange. Errors name the provider's status, never the body.
func (n *Notifier) SMS(ctx context.Context, to string, set *Set, d Data) error {
	if n.sms == nil {
		return errNoChannel
	}
	body, err := set.renderSMS(d)
	if err != nil {
		return err
	}
	return n.sms.send(ctx, to, body)
}
