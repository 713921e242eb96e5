package pinauth

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/loginpage"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/recovery"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// newLoginPage builds the login page of g, or returns nil when none is
// configured.
func newLoginPage(g *Gateway) (*loginpage.Page, error) {
	lp := g.cfg.LoginPage
	if lp == nil {
		return nil, nil
	}
	var t *Tenant
	for i := range g.cfg.Tenants {
		if g.cfg.Tenants[i].Name == lp.Tenant {
			t = &g.cfg.Tenants[i]
		}
	}
	o := loginpage.Options{
		Config: *lp,
		Tenant: loginpage.Tenant{Name: t.Name, AllowedOrigins: t.AllowedOrigins,
			PINMinLength: t.PINMinLength, PINMaxLength: t.PINMaxLength, ResetPINURL: t.ResetPINURL,
			PasswordResetByOTP: t.PasswordResetEmail == recovery.ByOTP, SignUp: pageSignUp(t)},
		Peppers: g.peppers, SessionTTL: g.cfg.SessionTTL, Core: pageCore{g: g, tenant: t},
		Log: g.log, Now: g.now, ClientIP: g.cfg.ClientIP,
	}
	if cc := g.cfg.Captcha; cc != nil {
		o.Captcha = &loginpage.Captcha{Provider: cc.Provider, SiteKey: cc.SiteKey, Always: cc.Always}
	}
	return loginpage.New(o)
}

// pageCore is the core as the login page sees it (loginpage.Core): the
// login flows of the page's tenant, run as API calls in process.
type pageCore struct {
	g      *Gateway
	tenant *Tenant
}

// pageFlows are the API handlers of the page's flows.
var pageFlows = map[loginpage.Flow]func(*Gateway, *call) (any, error){
	loginpage.FlowPassword:           (*Gateway).passwordLogin,
	loginpage.FlowPIN:                (*Gateway).pinLogin,
	loginpage.FlowSetPIN:             (*Gateway).setPINByPINAuthToken,
	loginpage.FlowForgotPassword:     resetRoute((*recovery.API).ForgotPassword),
	loginpage.FlowResetPassword:      resetRoute((*recovery.API).ResetPassword),
	loginpage.FlowForgotPINByEmail:   resetRoute(recovery.ForgotPINBy(store.IdentEmail)),
	loginpage.FlowForgotPINBySMS:     resetRoute(recovery.ForgotPINBy(store.IdentPhone)),
	loginpage.FlowResetPINByToken:    resetRoute((*recovery.API).ResetPINByToken),
	loginpage.FlowResetPINByEmail:    resetRoute(recovery.ResetPINByOTP(store.IdentEmail)),
	loginpage.FlowResetPINBySMS:      resetRoute(recovery.ResetPINByOTP(store.IdentPhone)),
	loginpage.FlowResetPINByAnswers:  resetRoute(recovery.ResetPINByAnswer(store.IdentEmail)),
	loginpage.FlowChangePassword:     (*Gateway).changePassword,
	loginpage.FlowRegister:           (*Gateway).registerPlain,
	loginpage.FlowResendVerification: (*Gateway).resendVerification,
	loginpage.FlowVerifyEmail:        resetRoute((*recovery.API).VerifyEmailByToken),
	loginpage.FlowVerifyEmailByCode:  resetRoute((*recovery.API).VerifyEmailByOTP),
}

// pageSignUp is what the login page needs of t's sign-up policy. A
// tenant whose verification emails carry codes (verification_email otp)
// has them typed on the page's "check your email" page.
func pageSignUp(t *Tenant) loginpage.SignUp {
	r := &t.Registration
	if !r.Enabled() {
		return loginpage.SignUp{}
	}
	return loginpage.SignUp{Enabled: true, RequiredFields: r.RequiredFields,
		PasswordMinLength: r.PasswordMinLength, PasswordClasses: r.PasswordClasses,
		OwnVerificationURL: r.VerificationURL != "", VerifyByCode: r.VerificationEmail == recovery.ByOTP}
}

// Login runs an API handler for the page, as if the browser had made the
// API call itself with the tenant's key: the same input validation,
// lockout, captcha, rate limits and webhooks apply. It is a function call,
// not an HTTP round trip; only the input goes through the API's JSON
// decoding.
func (pc pageCore) Login(r *http.Request, flow loginpage.Flow, query url.Values, body any) (*loginpage.Tokens, *lrerr.Error) {
	res, e := pc.run(r, flow, query, body)
	if e != nil {
		return nil, e
	}
	lr, ok := res.(loginResponse)
	if !ok {
		return nil, nil // a second factor is due
	}
	return &loginpage.Tokens{Access: lr.AccessToken, Refresh: lr.RefreshToken, SessionToken: lr.SessionToken}, nil
}

// Run runs a flow whose answer the page needs only as success or an
// error, as Login runs a login: the password change of PUT
// /auth/password/change, with its policy, credential gate, lockout,
// revocations and webhook.
func (pc pageCore) Run(r *http.Request, flow loginpage.Flow, query url.Values, body any) *lrerr.Error {
	_, e := pc.run(r, flow, query, body)
	return e
}

// run runs the API handler of flow for the page's tenant (see Login).
func (pc pageCore) run(r *http.Request, flow loginpage.Flow, query url.Values, body any) (any, *lrerr.Error) {
	g := pc.g
	b, _ := json.Marshal(body)
	query.Set("apikey", pc.tenant.APIKeys[0])
	cr := r.Clone(r.Context())
	cr.Method = http.MethodPost
	u := *r.URL
	u.RawQuery = query.Encode()
	cr.URL = &u
	cr.Body = io.NopCloser(bytes.NewReader(b))
	cr.ContentLength = int64(len(b))
	cr.Header.Set("Content-Type", "application/json")
	// The page speaks for the browser, not for an app back end: a browser
	// must not switch off the login's webhook or pass API credentials.
	cr.Header.Del("X-PreventWebhook")
	cr.Header.Del("X-LoginRadius-ApiKey")
	cr.Header.Del("X-LoginRadius-ApiSecret")
	// Nor does a browser's own Authorization header name the account: a
	// flow that needs one gets the session's access token in the query.
	cr.Header.Del("Authorization")
	c := &call{w: discardResponse{}, r: cr, q: apireq.Query(cr), now: g.now(), clientIP: g.cfg.ClientIP(r),
		userAgent: apireq.Truncate(r.Header.Get("User-Agent"), maxUserAgentBytes)}
	// Never a server-to-server call: X-Origin-IP is not looked at.
	if _, e := g.authorize(c, authKey); e != nil {
		return nil, e
	}
	res, err := pageFlows[flow](g, c)
	if err != nil {
		return nil, lrerr.As(err)
	}
	return res, nil
}

// discardResponse stands in for the ResponseWriter of a core call: the
// page writes its own response.
type discardResponse struct{}

func (discardResponse) Header() http.Header         { return http.Header{} }
func (discardResponse) Write(b []byte) (int, error) { return len(b), nil }
func (discardResponse) WriteHeader(int)             {}

// SessionOf reads the claims of an access token just issued.
func (pc pageCore) SessionOf(ctx context.Context, access string) (loginpage.Session, *lrerr.Error) {
	claims, e := pc.g.accessClaimsOf(ctx, access, pc.g.now())
	if e != nil {
		return loginpage.Session{}, e
	}
	return loginpage.Session{Tenant: claims.Audience[0], UID: claims.Subject, SID: claims.SID}, nil
}

// Authenticate verifies an access token as the protected path does.
func (pc pageCore) Authenticate(ctx context.Context, access string) (loginpage.Account, *lrerr.Error) {
	_, prof, e := pc.g.authenticate(ctx, access)
	if e != nil {
		return loginpage.Account{}, e
	}
	return loginpage.Account{Email: prof.Identity.Email, Username: prof.Identity.Username}, nil
}

// Account returns an account's names, from the profile cache.
func (pc pageCore) Account(ctx context.Context, tenant, uid string) (loginpage.Account, bool, error) {
	prof, found, err := pc.g.profile(ctx, tenant, uid)
	if err != nil || !found {
		return loginpage.Account{}, found, err
	}
	return loginpage.Account{Email: prof.Identity.Email, Username: prof.Identity.Username}, true, nil
}

// Refresh rotates a refresh token.
func (pc pageCore) Refresh(ctx context.Context, tenant, refresh string) (*loginpage.Tokens, *lrerr.Error) {
	gr, err := pc.g.rotateRefreshToken(ctx, tenant, refresh)
	if err != nil {
		return nil, lrerr.As(err)
	}
	return &loginpage.Tokens{Access: gr.access, Refresh: gr.refresh}, nil
}

// RevokeSession ends a login session.
func (pc pageCore) RevokeSession(ctx context.Context, tenant, uid, sid string) error {
	return pc.g.revokeSession(ctx, tenant, uid, sid)
}

// Status reads an account's attempts once: whether it is locked now, how
// many wrong PINs it can still take, and whether its next check needs a
// captcha. Both counts are the failures that still count
// (failuresInWindow), the rule the credential gate applies (plan §4.4).
func (pc pageCore) Status(ctx context.Context, tenant, uid string) loginpage.Status {
	return pc.statusOf(ctx, store.AccountRef{Tenant: tenant, UID: uid})
}

// IdentifierStatus is Status for the account a login form named. An
// identifier that finds no account reads the attempts the credential gate
// counted for it (unknownRef), so the page's answer, like the API's, does
// not tell which accounts exist.
func (pc pageCore) IdentifierStatus(ctx context.Context, kind loginpage.IdentifierKind, value string) loginpage.Status {
	g := pc.g
	a, found, err := g.accountByIdentifier(ctx, pc.tenant.Name, store.IdentifierKind(kind), value)
	if err != nil {
		return loginpage.Status{}
	}
	ref := a.Ref()
	if !found {
		ref = g.unknownRef(pc.tenant.Name, value)
	}
	return pc.statusOf(ctx, ref)
}

// AddressStatus is Status for the account awaiting the verification of
// address email, found as the code check of PUT /auth/email finds it
// (recovery.AwaitingAccount), so the page reads the lockout that check
// counted. An address no account awaits reads its unknownRef, as
// IdentifierStatus does, so the answer does not tell which exist.
func (pc pageCore) AddressStatus(ctx context.Context, email string) loginpage.Status {
	g := pc.g
	a, found, err := recovery.AwaitingAccount(ctx, g.store, pc.tenant.Name, email)
	if err != nil {
		return loginpage.Status{}
	}
	ref := a.Ref()
	if !found {
		ref = g.unknownRef(pc.tenant.Name, email)
	}
	return pc.statusOf(ctx, ref)
}

func (pc pageCore) statusOf(ctx context.Context, ref store.AccountRef) loginpage.Status {
	g := pc.g
	att, found, err := g.store.Attempts(ctx, ref)
	if err != nil {
		return loginpage.Status{}
	}
	var st loginpage.Status
	now := g.now()
	if att.Locked(now) {
		st.Lock = g.lockError(att, now)
	}
	failures := failuresInWindow(att, g.cfg.Lockout.Window, now)
	if found {
		st.Left = max(g.cfg.Lockout.Attempts-failures, 0)
	}
	if cc := g.cfg.Captcha; cc != nil {
		st.CaptchaDue = failures >= cc.After
	}
	return st
}
