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
}

// New loads and checks every tenant's templates (an error names the file)
// and builds the senders of the configured channels. o.Email and o.SMS
// have their defaults applied (WithDefaults).
func New(o Options) (*Notifier, error) {
	tpl, err := loadTemplates(o.Templates, o.Tenants)
	if err != nil {
		return nil, err
	}
	n := &Notifier{templates: tpl, aliases: make(map[string]map[string]string, len(o.Tenants))}
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

// EmailSet returns the set a call's emailtemplate names for tenant (see
// pick), able to render an email.
func (n *Notifier) EmailSet(tenant, name, builtin string) *Set {
	return n.pick(tenant, name, builtin, templates.email)
}

// SMSSet returns the set a call's smstemplate names for tenant (see
// pick), able to render an SMS.
func (n *Notifier) SMSSet(tenant, name, builtin string) *Set {
	return n.pick(tenant, name, builtin, templates.sms)
}

// pick returns the set a call's emailtemplate or smstemplate names: the
// set the tenant's alias for the name points to, else the set of that
// name, else the call's built-in set. part is email or sms: a set that
// cannot render the message counts as absent. LoginRadius's SDKs send the
// template names of a LoginRadius site (its forgot-PIN document makes
// emailtemplate required), which mean nothing here: unknown names get
// the built-in message rather than an error.
func (n *Notifier) pick(tenant, name, builtin string, part func(templates, string) *Set) *Set {
	m := n.templates[tenant]
	if target, ok := n.aliases[tenant][name]; ok {
		name = target
	}
	if s := part(m, name); s != nil {
		return s
	}
	return part(m, builtin)
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
