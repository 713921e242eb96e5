package pinauth

import (
	"strings"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/captcha"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/operator"
	"github.com/pinauth/caddy-pinauth/pinauth/recovery"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// Sign-up and email verification (issue 20). The login page's sign-up
// calls the same entry points as the API: register (POST /auth/register),
// resendVerification (PUT /auth/register) and the verification routes
// (GET /auth/email with verificationtoken, PUT /auth/email).

// postedBody is LoginRadius's {IsPosted, Data} answer; Data is null where
// the gateway logs nobody in (sign-up, verification: the app sends the
// user to the login once the email is verified).
type postedBody struct {
	IsPosted bool `json:"IsPosted"`
	Data     any  `json:"Data"`
}

// registrationOff is the answer of the sign-up routes of a tenant that
// serves none.
func registrationOff() *lrerr.Error {
	return lrerr.WithDescription(lrerr.CodeResourceDisabled, "Sign-up is not enabled for this site.")
}

// register serves POST /auth/register and, withCaptcha, POST
// /auth/register/captcha: operator.API.Register under the tenant's
// registration policy, then the verification email of the new account's
// address (unless options=PreventVerificationEmail). A tenant whose
// registration is off answers 1144; the captcha variant needs a captcha
// answer (982 without or with a wrong one; 1144 when no provider is
// configured), the plain one passes the captcha gate's always mode. Every
// call counts against the per-client rate limit. The answer is
// {IsPosted: true, Data: null}: nobody is logged in before the address
// is verified (unless the tenant lets unverified accounts log in, with
// POST /auth/login). The verificationurl is checked before anything is
// written (908 off the allowed origins).
func (g *Gateway) register(c *call, withCaptcha bool) (any, error) {
	reg := &c.tenant.Registration
	if !reg.Enabled() {
		return nil, registrationOff()
	}
	if err := g.limitClient(c); err != nil {
		return nil, err
	}
	settings := recoverySettings(c.tenant)
	send := !strings.EqualFold(c.q.Get("options"), "PreventVerificationEmail")
	ctx := c.r.Context()
	gate := func() error {
		if send {
			if err := g.recovery.CheckVerification(settings, c.q); err != nil {
				return err
			}
		}
		if withCaptcha && g.captcha == nil {
			return lrerr.WithDescription(lrerr.CodeResourceDisabled, "Sign-up with a CAPTCHA is not enabled: this site has no CAPTCHA provider.")
		}
		if withCaptcha {
			return g.solveCaptcha(c)
		}
		_, err := g.captchaGate(ctx, c, store.AccountRef{})
		return err
	}
	api := operator.NewAPI(accountCore{g})
	a, err := api.Register(operator.Request{HTTP: c.r, Query: c.q, Act: callAct{g: g, c: c}}, operator.Registration{
		Invited: reg.Invited, RequiredFields: reg.RequiredFields,
		PasswordMinLength: reg.PasswordMinLength, PasswordClasses: reg.PasswordClasses, Gate: gate,
	})
	if err != nil {
		return nil, err
	}
	if send {
		// The account stands whatever the send's fate (a sending
		// limit): PUT /auth/register sends the email again.
		if err := g.recovery.SendVerification(ctx, settings, c.q, a.Ref(), a.PrimaryEmail(), c.clientIP, c.now); err != nil {
			g.logFailure(c, "verification_not_sent", a.UID)
		}
	}
	return postedBody{IsPosted: true}, nil
}

// registerPlain serves POST /auth/register (see register).
func (g *Gateway) registerPlain(c *call) (any, error) { return g.register(c, false) }

// registerCaptcha serves POST /auth/register/captcha (see register).
func (g *Gateway) registerCaptcha(c *call) (any, error) { return g.register(c, true) }

// solveCaptcha requires a valid captcha answer in the call, whatever the
// captcha policy: 982 when missing or wrong, 503 when the provider cannot
// answer.
func (g *Gateway) solveCaptcha(c *call) error {
	if c.guard.captchaSolved {
		return nil
	}
	provider := g.cfg.Captcha.Provider
	ans := captcha.AnswerFrom(provider, c.field)
	if ans.Response == "" {
		g.obs.CaptchaVerified(provider, captcha.Missing)
		return lrerr.New(lrerr.CodeCaptchaInvalid)
	}
	ok, err := g.captcha.Verify(c.r.Context(), ans, c.clientIP)
	if err != nil {
		g.obs.CaptchaVerified(provider, captcha.ProviderError)
		return &lrerr.Error{Code: lrerr.CodeUnavailable, RetryAfter: 5 * time.Second, Cause: err,
			Description: "The CAPTCHA could not be verified: the CAPTCHA provider is unavailable. Try again later."}
	}
	if !ok {
		g.obs.CaptchaVerified(provider, captcha.Invalid)
		return lrerr.New(lrerr.CodeCaptchaInvalid)
	}
	g.obs.CaptchaVerified(provider, captcha.Valid)
	c.guard.captchaSolved = true
	return nil
}

// resendBody is PUT /auth/register's body.
type resendBody struct {
	Email string `json:"email"`
}

// resendVerification serves PUT /auth/register: a new verification email
// for an address that awaits verification. The answer ({IsPosted: true})
// and its time are the same whether or not any account awaits it (the
// look-up happens in the background send), so the call tells nothing
// about who signed up; a verified address gets no email. 1144 when the
// tenant serves no sign-up; 1122 past the sending limits.
func (g *Gateway) resendVerification(c *call) (any, error) {
	if !c.tenant.Registration.Enabled() {
		return nil, registrationOff()
	}
	var b resendBody
	if e := apireq.DecodeJSON(c.r, &b, false); e != nil {
		return nil, e
	}
	if b.Email == "" {
		return nil, lrerr.Field("email", "The email is required.")
	}
	if err := g.limitClient(c); err != nil {
		return nil, err
	}
	if err := g.recovery.ResendVerification(c.r.Context(), recoverySettings(c.tenant), c.q, b.Email, c.clientIP, c.now); err != nil {
		return nil, err
	}
	return map[string]bool{"IsPosted": true}, nil
}

// emailByQuery serves GET /auth/email, two documented calls on one path:
// with verificationtoken it verifies an email (recovery's
// VerifyEmailByToken), else it is the availability check of the email
// query parameter.
func emailByQuery(g *Gateway, c *call) (any, error) {
	if c.q.Get("verificationtoken") != "" {
		return resetRoute((*recovery.API).VerifyEmailByToken)(g, c)
	}
	return availabilityOf(store.IdentEmail)(g, c)
}

// sendWelcome serves GET /auth/account/sendwelcomeemail: the welcome
// email to the caller's (access token's) primary address, template
// welcomeemailtemplate; {IsPosted: true}.
func (g *Gateway) sendWelcome(c *call) (any, error) {
	_, a, err := g.bearerAccount(c)
	if err != nil {
		return nil, err
	}
	if err := g.recovery.SendWelcome(c.r.Context(), recoverySettings(c.tenant), c.q, &a, c.clientIP, c.now); err != nil {
		return nil, err
	}
	return map[string]bool{"IsPosted": true}, nil
}

// unverifiedRefusal is the login's answer for account a of tenant t when
// its email must be verified first: 970 while t serves sign-up, does not
// let unverified accounts log in, and a has emails that are not verified.
func unverifiedRefusal(t *Tenant, a *store.Account) error {
	r := &t.Registration
	if r.Enabled() && !r.AllowUnverified && len(a.Emails) > 0 && !a.EmailVerified {
		return lrerr.New(lrerr.CodeEmailNotVerified)
	}
	return nil
}
