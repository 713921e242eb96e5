package pinauth

import (
	"net/http"
	"strings"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/operator"
	"github.com/pinauth/caddy-pinauth/pinauth/ratelimit"
	"github.com/pinauth/caddy-pinauth/pinauth/recovery"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// auth is what a route requires besides the tenant's API key.
type auth int

const (
	// authKey needs only the API key.
	authKey auth = iota
	// authSecret also needs the tenant's API secret (management calls).
	authSecret
)

// route is one API endpoint. Path segments are lower-case and matched
// without case; "{uid}" captures a segment, as "{name}" does (a role's or
// a role context's name, kept as sent: role names are case-sensitive).
type route struct {
	methods  []string
	segments []string
	auth     auth
	handle   func(g *Gateway, c *call) (any, error)
}

// call is one API request being served.
type call struct {
	w http.ResponseWriter
	// r is the request; nil for an operator's action through Admin.
	r      *http.Request
	q      apireq.Params
	tenant *Tenant
	// uid is the {uid} path segment, when the route has one.
	uid string
	// name is the {name} path segment, when the route has one.
	name string
	now  time.Time
	// clientIP is the end user's address: the peer's (Caddy's client_ip),
	// or the X-Origin-IP of a server-to-server call (honourOrigin).
	clientIP string
	// userAgent is the end user's User-Agent, likewise.
	userAgent string
	// via is the peer's address when clientIP came from X-Origin-IP, so
	// logs name both.
	via string
	// guard is the call's brute-force bookkeeping (rate limit, captcha).
	guard callGuard
}

// preventWebhook reports whether the caller asked for no webhook event
// (emit still sends security events). The X-PreventWebhook header wins over
// the prevent_webhook query parameter when both are sent, as LoginRadius
// documents. An operator's action (r nil, see Admin) always records its
// events.
func (c *call) preventWebhook() bool {
	if c.r == nil {
		return false
	}
	if h := c.r.Header.Get("X-PreventWebhook"); h != "" {
		return strings.EqualFold(h, "true")
	}
	return c.q.Bool("prevent_webhook")
}

// unsilenced returns a copy of c that records its events whatever the
// caller's prevent_webhook says, as an operator's action does (r nil): for
// the changes an app must hear of whoever asked, whose event is one a
// caller may otherwise silence (a self-service deletion's DeleteAccount, a
// second factor's reset recorded as UpdateProfile).
func (c *call) unsilenced() *call {
	u := *c
	u.r = nil
	return &u
}

// hashClient is the call's key in the hashing queue: its client address
// as the rate limit keys it (an IPv6 /64 is one client).
func (c *call) hashClient() string { return ratelimit.Key(c.clientIP) }

// newRoute builds a route from a path like "manage/account/{uid}".
func newRoute(methods string, path string, a auth, h func(g *Gateway, c *call) (any, error)) route {
	return route{
		methods:  strings.Split(methods, ","),
		segments: strings.Split(strings.ToLower(path), "/"),
		auth:     a,
		handle:   h,
	}
}

// match reports whether the route serves the path segments, returning
// the captured segments.
func (rt *route) match(segs []string) (captured pathParams, ok bool) {
	if len(segs) != len(rt.segments) {
		return captured, false
	}
	for i, s := range rt.segments {
		if s == "{uid}" || s == "{name}" {
			if segs[i] == "" {
				return pathParams{}, false
			}
			if s == "{uid}" {
				captured.uid = segs[i]
			} else {
				captured.name = segs[i]
			}
			continue
		}
		if !strings.EqualFold(s, segs[i]) {
			return pathParams{}, false
		}
	}
	return captured, true
}

// pathParams are the segments a route captured.
type pathParams struct{ uid, name string }

func (rt *route) allows(method string) bool {
	for _, m := range rt.methods {
		if m == method {
			return true
		}
	}
	return false
}

// serveAPI routes an API request, resolves its tenant and writes the
// handler's result or error.
func (g *Gateway) serveAPI(w http.ResponseWriter, r *http.Request) {
	rest := strings.Trim(r.URL.Path[len(g.cfg.APIPrefix):], "/")
	segs := strings.Split(rest, "/")
	var rt *route
	var params pathParams
	pathMatched := false
	for i := range g.routes {
		p, ok := g.routes[i].match(segs)
		if !ok {
			continue
		}
		pathMatched = true
		if g.routes[i].allows(r.Method) {
			rt, params = &g.routes[i], p
			break
		}
	}
	if rt == nil {
		e := lrerr.New(lrerr.CodeNotFound)
		if pathMatched {
			e = &lrerr.Error{Code: lrerr.CodeNotFound, Status: http.StatusMethodNotAllowed,
				Description: "This endpoint does not accept the " + r.Method + " method."}
		}
		g.writeError(w, r, e)
		return
	}
	c := &call{w: w, r: r, q: apireq.Query(r), uid: params.uid, name: params.name, now: g.now(), clientIP: g.cfg.ClientIP(r)}
	server, e := g.authorize(c, rt.auth)
	if e == nil {
		e = g.honourOrigin(c, server || g.cfg.TrustedPeer(r))
	}
	if e != nil {
		g.writeError(w, r, e)
		return
	}
	body, err := rt.handle(g, c)
	if err != nil {
		g.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// authorize resolves the tenant from the API key and checks the API
// secret (checkAPISecret): required on management routes, and checked
// the same way when a call of another route sends one (a wrong secret is
// refused wherever it is sent). withSecret reports a call that carried
// the right secret: a server-to-server call (see honourOrigin).
func (g *Gateway) authorize(c *call, a auth) (withSecret bool, _ *lrerr.Error) {
	key := c.q.Get("apikey")
	if key == "" {
		key = c.r.Header.Get("X-LoginRadius-ApiKey")
	}
	if key == "" {
		return false, lrerr.WithDescription(lrerr.CodeParameterFormat, "The apikey is a required parameter.")
	}
	t := g.tenants[key]
	if t == nil {
		return false, lrerr.New(lrerr.CodeAPIKeyUnauthorized)
	}
	if !t.PlanExpires.IsZero() && !c.now.Before(t.PlanExpires) {
		return false, lrerr.New(lrerr.CodePlanExpired)
	}
	c.tenant = t
	if a == authSecret || apiSecretOf(c) != "" {
		if e := g.checkAPISecret(c); e != nil {
			return false, e
		}
		return true, nil
	}
	return false, nil
}

// apiRoutes is the table of API endpoints (rows of spec/api.md).
func apiRoutes() []route {
	return []route{
		newRoute("POST", "auth/login", authKey, (*Gateway).passwordLogin),
		newRoute("POST", "auth/login/pin", authKey, (*Gateway).pinLogin),
		newRoute("POST", "auth/pin/set/pinauthtoken", authKey, (*Gateway).setPINByPINAuthToken),
		newRoute("POST", "manage/account", authSecret, accountRoute((*operator.API).CreateAccount)),
		newRoute("GET", "manage/account", authSecret, accountRoute((*operator.API).FindAccount)),
		// Account management by email (issue 20); the literal identities
		// route comes before the {uid} one.
		newRoute("DELETE", "manage/account", authSecret, accountRoute((*operator.API).DeleteAccountByEmail)),
		newRoute("GET", "manage/account/identities", authSecret, accountRoute((*operator.API).AccountIdentitiesByEmail)),
		newRoute("GET", "manage/account/{uid}", authSecret, accountRoute((*operator.API).GetAccount)),
		newRoute("PUT", "manage/account/{uid}", authSecret, accountRoute((*operator.API).EditAccount)),
		newRoute("DELETE", "manage/account/{uid}", authSecret, accountRoute((*operator.API).DeleteAccount)),
		// Roles management (issue 20). The literal rolecontext route comes
		// before the {uid} ones, so a context named "role" is still one.
		newRoute("GET", "manage/role", authSecret, accountRoute((*operator.API).ListRoles)),
		newRoute("POST", "manage/role", authSecret, accountRoute((*operator.API).CreateRoles)),
		newRoute("DELETE", "manage/role/{name}", authSecret, accountRoute((*operator.API).DeleteRole)),
		newRoute("PUT", "manage/role/{name}/permission", authSecret, accountRoute((*operator.API).AddPermissions)),
		newRoute("DELETE", "manage/role/{name}/permission", authSecret, accountRoute((*operator.API).RemovePermissions)),
		newRoute("GET", "manage/account/rolecontext/{name}", authSecret, accountRoute((*operator.API).RoleContextProfiles)),
		newRoute("GET", "manage/account/{uid}/role", authSecret, accountRoute((*operator.API).AccountRoles)),
		newRoute("PUT", "manage/account/{uid}/role", authSecret, accountRoute((*operator.API).AssignRoles)),
		newRoute("DELETE", "manage/account/{uid}/role", authSecret, accountRoute((*operator.API).UnassignRoles)),
		newRoute("GET", "manage/account/{uid}/rolecontext", authSecret, accountRoute((*operator.API).RoleContexts)),
		newRoute("PUT", "manage/account/{uid}/rolecontext", authSecret, accountRoute((*operator.API).UpsertRoleContexts)),
		newRoute("DELETE", "manage/account/{uid}/rolecontext/{name}", authSecret, accountRoute((*operator.API).DeleteRoleContext)),
		newRoute("DELETE", "manage/account/{uid}/rolecontext/{name}/role", authSecret, accountRoute((*operator.API).DeleteRolesFromContext)),
		newRoute("DELETE", "manage/account/{uid}/rolecontext/{name}/additionalpermission", authSecret,
			accountRoute((*operator.API).DeletePermissionsFromContext)),
		// Token and PIN lifecycle (issue 4).
		newRoute("PUT,POST", "auth/pin/change", authKey, (*Gateway).changePIN),
		newRoute("GET", "auth/session_token/invalidate", authKey, (*Gateway).invalidateSessionToken),
		newRoute("PUT", "auth/account/reauth/pin", authKey, (*Gateway).reauthByPIN),
		newRoute("POST", "manage/account/{uid}/reauth/pin", authSecret, (*Gateway).validatePINStepUp),
		newRoute("POST", "manage/account/{uid}/reauth/2fa", authSecret, (*Gateway).validate2FAStepUp),
		newRoute("POST", "auth/account/reauth/2fa/securityquestionanswer/verify", authKey, (*Gateway).reauthBySecurityAnswers),
		newRoute("POST", "auth/login/2fa/verification/securityquestionanswer", authKey, (*Gateway).verifySecondFactor),
		newRoute("PUT", "auth/login/2fa/securityquestionanswer", authKey, (*Gateway).enrollSecondFactor),
		newRoute("PUT", "auth/account/2fa/securityquestionanswer", authKey, (*Gateway).setSecurityAnswers),
		newRoute("DELETE", "auth/account/2fa/authenticator/securityquestionanswer", authKey, (*Gateway).resetOwnSecondFactor),
		newRoute("DELETE", "manage/account/2fa/authenticator/securityquestionanswer", authSecret, (*Gateway).resetSecondFactorByUID),
		newRoute("GET", "auth/securityquestion/email", authKey, securityQuestionsBy("email")),
		newRoute("GET", "auth/securityquestion/username", authKey, securityQuestionsBy("username")),
		newRoute("GET", "auth/securityquestion/phone", authKey, securityQuestionsBy("phone")),
		newRoute("GET", "auth/securityquestion/accesstoken", authKey, securityQuestionsBy("accesstoken")),
		newRoute("GET", "auth/access_token/validate", authKey, (*Gateway).validateAccessToken),
		newRoute("GET", "auth/access_token/invalidate", authKey, (*Gateway).invalidateAccessToken),
		newRoute("GET", "auth/access_token", authKey, (*Gateway).tokenInfo),
		newRoute("GET", "auth/account", authKey, ownAccountRoute((*operator.API).OwnProfile)),
		newRoute("PUT", "auth/account", authKey, ownAccountRoute((*operator.API).UpdateOwnProfile)),
		newRoute("GET", "manage/account/access_token/refresh", authSecret, (*Gateway).refreshAccessToken),
		newRoute("GET", "manage/account/access_token/refresh/revoke", authSecret, (*Gateway).revokeRefreshToken),
		newRoute("DELETE", "manage/account/{uid}/access_token/refresh/revoke", authSecret, (*Gateway).revokeAllRefreshTokens),
		// Forgotten PINs (issue 7).
		newRoute("POST", "auth/pin/forgot/email", authKey, resetRoute(recovery.ForgotPINBy(store.IdentEmail))),
		newRoute("POST", "auth/pin/forgot/username", authKey, resetRoute(recovery.ForgotPINBy(store.IdentUsername))),
		newRoute("POST", "auth/pin/forgot/otp", authKey, resetRoute(recovery.ForgotPINBy(store.IdentPhone))),
		newRoute("PUT", "auth/pin/reset/token", authKey, resetRoute((*recovery.API).ResetPINByToken)),
		newRoute("PUT", "auth/pin/reset/otp/email", authKey, resetRoute(recovery.ResetPINByOTP(store.IdentEmail))),
		newRoute("PUT", "auth/pin/reset/otp/username", authKey, resetRoute(recovery.ResetPINByOTP(store.IdentUsername))),
		newRoute("PUT", "auth/pin/reset/otp/phone", authKey, resetRoute(recovery.ResetPINByOTP(store.IdentPhone))),
		newRoute("PUT", "auth/pin/reset/securityanswer/email", authKey, resetRoute(recovery.ResetPINByAnswer(store.IdentEmail))),
		newRoute("PUT", "auth/pin/reset/securityanswer/username", authKey, resetRoute(recovery.ResetPINByAnswer(store.IdentUsername))),
		newRoute("PUT", "auth/pin/reset/securityanswer/phone", authKey, resetRoute(recovery.ResetPINByAnswer(store.IdentPhone))),
		// Forgotten passwords (gateway extension: the way in for imported
		// accounts).
		newRoute("POST", "auth/password", authKey, resetRoute((*recovery.API).ForgotPassword)),
		newRoute("PUT", "auth/password/reset", authKey, resetRoute((*recovery.API).ResetPassword)),
		newRoute("PUT", "auth/password/securityanswer", authKey, resetRoute((*recovery.API).ResetPasswordByAnswer)),
		// Passwords (issue 20).
		newRoute("PUT", "auth/password/change", authKey, (*Gateway).changePassword),
		newRoute("PUT", "manage/account/{uid}/password", authSecret, accountRoute((*operator.API).SetPassword)),
		newRoute("GET", "manage/account/{uid}/password", authSecret, accountRoute((*operator.API).PasswordHash)),
		newRoute("POST", "manage/account/forgot/token", authSecret, resetRoute((*recovery.API).ForgotPasswordToken)),
		// Emails and usernames (issue 20).
		newRoute("GET", "auth/email", authKey, emailByQuery),
		newRoute("GET", "auth/username", authKey, availabilityOf(store.IdentUsername)),
		newRoute("PUT", "auth/username", authKey, ownAccountRoute((*operator.API).SetOwnUsername)),
		newRoute("DELETE", "auth/email", authKey, ownAccountRoute((*operator.API).RemoveOwnEmail)),
		newRoute("PUT", "manage/account/{uid}/email", authSecret, accountRoute((*operator.API).UpsertEmails)),
		newRoute("DELETE", "manage/account/{uid}/email", authSecret, accountRoute((*operator.API).DeleteEmail)),
		newRoute("PUT", "manage/account/{uid}/phoneid", authSecret, accountRoute((*operator.API).UpdatePhoneID)),
		// Account self-service (issue 20).
		newRoute("DELETE", "auth/account", authKey, ownResetRoute((*recovery.API).RequestAccountDeletion)),
		newRoute("GET", "auth/account/delete", authKey, resetRoute((*recovery.API).DeleteAccountByToken)),
		newRoute("PUT", "auth/account/unlock", authKey, (*Gateway).unlockAccount),
		// Sign-up and email verification (issue 20).
		newRoute("POST", "auth/register", authKey, (*Gateway).registerPlain),
		newRoute("POST", "auth/register/captcha", authKey, (*Gateway).registerCaptcha),
		newRoute("PUT", "auth/register", authKey, (*Gateway).resendVerification),
		newRoute("PUT", "auth/email", authKey, resetRoute((*recovery.API).VerifyEmailByOTP)),
		newRoute("GET", "auth/account/sendwelcomeemail", authKey, (*Gateway).sendWelcome),
		newRoute("POST", "manage/account/verify/token", authSecret, (*Gateway).verificationToken),
		newRoute("PUT", "manage/account/{uid}/invalidateemail", authSecret, (*Gateway).invalidateEmail),
		newRoute("POST", "auth/email", authKey, (*Gateway).addEmail),
	}
}
