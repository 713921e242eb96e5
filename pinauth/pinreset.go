package pinauth

import (
	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/notify"
	"github.com/pinauth/caddy-pinauth/pinauth/recovery"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// forgotBody is the body of the forgot-PIN calls.
type forgotBody struct {
	Email    string
	UserName string
	Phone    string
}

// identifier returns the identifier of kind in b and its field name.
func (b *forgotBody) identifier(kind store.IdentifierKind) (value, field string) {
	switch kind {
	case store.IdentEmail:
		return b.Email, "Email"
	case store.IdentUsername:
		return b.UserName, "UserName"
	}
	return b.Phone, "Phone"
}

// forgotPINBy returns the handler of POST /auth/pin/forgot/email,
// /auth/pin/forgot/username (an email with a reset link, or with an OTP
// when the tenant's pin_reset_email is otp) and /auth/pin/forgot/otp (an
// SMS with an OTP to the account's phone).
func forgotPINBy(kind store.IdentifierKind) func(*Gateway, *call) (any, error) {
	return func(g *Gateway, c *call) (any, error) { return g.forgotPIN(c, kind) }
}

// forgotPIN answers IsPosted whether or not the account exists, in the
// same time (design: no enumeration): the call itself only validates its
// input, counts the sending limits and queues a job (recovery.Queue). An
// account's earlier tokens or codes stop working when a new one is
// issued: only the newest counts.
func (g *Gateway) forgotPIN(c *call, kind store.IdentifierKind) (any, error) {
	var b forgotBody
	if e := apireq.DecodeJSON(c.r, &b, false); e != nil {
		return nil, e
	}
	ident, field := b.identifier(kind)
	if ident == "" {
		return nil, lrerr.Field(field, "The "+field+" is required.")
	}
	fr, err := g.recovery.PINRequest(recoveryTenant(c.tenant), kind, c.q)
	if err != nil {
		return nil, err
	}
	return g.queueReset(c, kind, ident, fr)
}

// queueReset is the common end of the forgot calls: it checks the captcha
// (always mode), then has recovery count the sending limits and queue the
// job that sends fr to the account of ident, if there is one. It answers
// IsPosted (with the send's ids in Data for an SMS).
func (g *Gateway) queueReset(c *call, kind store.IdentifierKind, ident string, fr recovery.Request) (any, error) {
	// With the captcha's always mode the forgot calls need a solved
	// captcha too: each makes the gateway send an email or an SMS, which
	// bots abuse (SMS pumping). A nil account keeps the answer the same
	// whether the identifier exists or not.
	if _, err := g.captchaGate(c.r.Context(), c, store.AccountRef{}); err != nil {
		return nil, err
	}
	sendID, err := g.recovery.Queue(recovery.Call{Ctx: c.r.Context(), Tenant: c.tenant.Name, ClientIP: c.clientIP, Now: c.now,
		Limited: func(reason string) { g.logFailure(c, reason, "") }}, kind, ident, fr)
	if err != nil {
		return nil, err
	}
	if fr.SMS() {
		return recovery.SMSPosted(sendID), nil
	}
	return isPosted, nil
}

// recoveryTenant is what the forgot calls read of t.
func recoveryTenant(t *Tenant) recovery.Tenant {
	return recovery.Tenant{Name: t.Name, AllowedOrigins: t.AllowedOrigins, ResetPINURL: t.ResetPINURL,
		PINResetEmail: t.PINResetEmail, PasswordResetEmail: t.PasswordResetEmail}
}

// newRecovery builds the recovery flows over the gateway's store,
// notifier and send queue (the forgot calls' background deliveries).
func (g *Gateway) newRecovery() *recovery.Secrets {
	return recovery.New(recovery.Options{Store: g.store, Notifier: g.notifier, Queue: g.sends, Limiter: g.limiter,
		Log: g.log, Pepper: g.peppers[0].Key, Email: g.cfg.Email, SMS: g.cfg.SMS,
		ResetTokenTTL: g.cfg.ResetTokenTTL, OTPTTL: g.cfg.OTPTTL, FindAccount: g.accountByIdentifier})
}

// notifyOptions are the notifier's settings in the configuration.
func (g *Gateway) notifyOptions() notify.Options {
	o := notify.Options{Email: g.cfg.Email, SMS: g.cfg.SMS, Templates: g.cfg.MessageTemplates,
		Tenants: make([]notify.TenantTemplates, len(g.cfg.Tenants))}
	for i, t := range g.cfg.Tenants {
		o.Tenants[i] = notify.TenantTemplates{Name: t.Name, Dir: t.MessageTemplates, Aliases: t.TemplateAliases}
	}
	return o
}
