package pinauth

import (
	"context"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/notify"
	"github.com/pinauth/caddy-pinauth/pinauth/operator"
	"github.com/pinauth/caddy-pinauth/pinauth/recovery"
	"github.com/pinauth/caddy-pinauth/pinauth/securityquestion"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// newRecovery builds the recovery flows over the gateway's store,
// notifier and send queue (the forgot calls' background deliveries).
func (g *Gateway) newRecovery() *recovery.Secrets {
	return recovery.New(recovery.Options{Store: g.store, Notifier: g.notifier, Queue: g.sends, Limiter: g.limiter,
		Log: g.log, Pepper: g.peppers[0].Key, Email: g.cfg.Email, SMS: g.cfg.SMS,
		ResetTokenTTL: g.cfg.ResetTokenTTL, OTPTTL: g.cfg.OTPTTL, DeleteTokenTTL: g.cfg.DeleteTokenTTL, FindAccount: g.accountByIdentifier})
}

// notifyOptions are the notifier's settings in the configuration.
func (g *Gateway) notifyOptions() notify.Options {
	o := notify.Options{Email: g.cfg.Email, SMS: g.cfg.SMS, Templates: g.cfg.MessageTemplates, Log: g.log,
		Tenants: make([]notify.TenantTemplates, len(g.cfg.Tenants))}
	for i, t := range g.cfg.Tenants {
		o.Tenants[i] = notify.TenantTemplates{Name: t.Name, Dir: t.MessageTemplates, Aliases: t.TemplateAliases}
	}
	return o
}

// resetRoute adapts a handler of the forgot and reset API (package
// recovery) to the route table: the call acts through resetAct.
func resetRoute(h func(*recovery.API, recovery.Request) (any, error)) func(*Gateway, *call) (any, error) {
	return func(g *Gateway, c *call) (any, error) {
		return h(recovery.NewAPI(g.recovery, resetCore{g}), recovery.Request{HTTP: c.r, Query: c.q, Act: resetAct{callAct{g: g, c: c}}})
	}
}

// ownResetRoute adapts a handler of the recovery API that acts on the
// caller's own account (DELETE /auth/account) likewise, once the call is
// authenticated by its access token and the account read from the store.
func ownResetRoute(h func(*recovery.API, recovery.Request) (any, error)) func(*Gateway, *call) (any, error) {
	return func(g *Gateway, c *call) (any, error) {
		_, a, err := g.bearerAccount(c)
		if err != nil {
			return nil, err
		}
		return h(recovery.NewAPI(g.recovery, resetCore{g}), recovery.Request{HTTP: c.r, Query: c.q, Account: &a, Act: resetAct{callAct{g: g, c: c}}})
	}
}

// resetCore gives the reset API the gateway's lock, account transaction,
// token cache and hasher (recovery.Core).
type resetCore struct{ g *Gateway }

// BlockLocked implements recovery.Core.
func (rc resetCore) BlockLocked(ctx context.Context, ref store.AccountRef, now time.Time) (bool, error) {
	return rc.g.blockLocked(ctx, ref, now)
}

// UpdateAccount implements recovery.Core.
func (rc resetCore) UpdateAccount(ctx context.Context, ref store.AccountRef, before func(store.Tx) error, change, after func(store.Tx, *store.Account) error) error {
	return rc.g.updateAccount(ctx, ref, before, change, after)
}

// SessionsRevoked implements recovery.Core.
func (rc resetCore) SessionsRevoked(ids []string, now time.Time) {
	rc.g.cache.RevokeSessions(ids, now, rc.g.cfg.AccessTTL)
}

// VerifyDummy implements recovery.Core.
func (rc resetCore) VerifyDummy(secret string) { rc.g.hasher.VerifyDummy(secret) }

// resetAct is an API call as the reset API acts through it
// (recovery.Act): the account API's acting side and the credential gate.
type resetAct struct{ callAct }

// Settings implements recovery.Act.
func (ra resetAct) Settings() recovery.Tenant {
	t := ra.c.tenant
	return recoverySettings(t)
}

// recoverySettings are what the recovery flows read of tenant t.
func recoverySettings(t *Tenant) recovery.Tenant {
	return recovery.Tenant{Name: t.Name, AllowedOrigins: t.AllowedOrigins, ResetPINURL: t.ResetPINURL,
		PINResetEmail: t.PINResetEmail, PasswordResetEmail: t.PasswordResetEmail, DeleteAccountURL: t.DeleteAccountURL,
		VerificationURL: t.Registration.VerificationURL, VerificationEmail: t.Registration.VerificationEmail,
		Welcome: t.Registration.Welcome}
}

// ClientIP implements recovery.Act.
func (ra resetAct) ClientIP() string { return ra.c.clientIP }

// LimitClient implements recovery.Act.
func (ra resetAct) LimitClient() error { return ra.g.limitClient(ra.c) }

// CaptchaGate implements recovery.Act: the zero ref keeps the answer the
// same whether an account exists or not.
func (ra resetAct) CaptchaGate(ctx context.Context) error {
	_, err := ra.g.captchaGate(ctx, ra.c, store.AccountRef{})
	return err
}

// CheckCredential implements recovery.Act.
func (ra resetAct) CheckCredential(ctx context.Context, chk recovery.Check) error {
	cc := credentialCheck{account: chk.Account, unknown: chk.Unknown, secret: chk.Secret, failure: chk.Failure, reason: chk.Reason}
	if chk.Compare != nil {
		cc.compare = func() (bool, bool) { return chk.Compare(), false }
	}
	_, err := ra.g.checkCredential(ctx, ra.c, cc)
	return err
}

// CheckAnswers implements recovery.Act.
func (ra resetAct) CheckAnswers(ctx context.Context, a *store.Account, ident string, answers map[string]string) error {
	given := securityquestion.FromMap(answers)
	if a == nil || len(ra.c.tenant.SecurityQuestions.Answered(a.SecurityAnswers)) == 0 {
		return ra.g.checkAbsentAnswers(ctx, ra.c, ident, given)
	}
	return ra.g.checkAnswers(ctx, ra.c, a, given)
}

// LogFailure implements recovery.Act.
func (ra resetAct) LogFailure(reason string) { ra.g.logFailure(ra.c, reason, "") }

// DeleteAccount implements recovery.Act through the account API's
// deletion, so both delete the same things the same way. Its
// DeleteAccount event is always recorded: prevent_webhook is the app's
// choice on its own calls, and this call is the end user's (or whoever
// holds the mailed token); silencing it would leave the app keeping the
// data of an account that is gone.
func (ra resetAct) DeleteAccount(ctx context.Context, uid string, allow func(store.Tx, *store.Account) error) error {
	return operator.DeleteAccountIf(ctx, accountCore{ra.g}, callAct{g: ra.g, c: ra.c.unsilenced()}, uid, allow)
}

// Interface guards.
var (
	_ recovery.Core = resetCore{}
	_ recovery.Act  = resetAct{}
)
