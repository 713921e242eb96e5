package pinauth

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/cache"
	"github.com/pinauth/caddy-pinauth/pinauth/identityheaders"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/loginpage"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/tokens"
	"go.uber.org/zap"
)

// protect is the protected path: strip forged identity headers, verify the
// access token, set the real identity headers. See Handle.
func (g *Gateway) protect(w http.ResponseWriter, r *http.Request) (*Identity, bool) {
	// First, always: no client-sent identity header may survive, in the
	// headers or in the trailers.
	g.hdrs.Strip(r.Header)
	if r.Trailer != nil {
		g.hdrs.GuardTrailers(r)
	}
	raw, rewrite, bs := g.credentialOf(r, true)
	if g.page != nil {
		// The gateway's cookies never reach the upstream.
		g.page.StripCookies(r.Header)
	}
	if r.URL.RawQuery != "" {
		dropAccessTokenQuery(r)
	}
	if raw == "" {
		return g.anonymous(w, r, lrerr.New(lrerr.CodeAccessTokenMissing))
	}
	vt, prof, err := g.authenticate(r.Context(), raw)
	if err != nil && bs != nil {
		// Silent refresh of an expired browser session.
		var access string
		if access, err = g.page.Renew(r.Context(), w, bs, err); err == nil {
			vt, prof, err = g.authenticate(r.Context(), access)
		}
		if err == nil {
			raw = vt.Raw
		}
	}
	if err = g.accepted(vt, err); err != nil {
		// A public path stays reachable with a bad token, as an
		// anonymous request.
		return g.anonymous(w, r, err)
	}
	g.hdrs.Set(r.Header, &prof.Headers, vt.SIDValue)
	g.forwardToken(r.Header, vt, raw, rewrite)
	g.hdrs.GuardConnection(r.Header)
	return vt.Identity(prof), true
}

// credentialOf returns the access token of a request and where it came
// from: the Authorization Bearer credential, else (withQuery) the
// access_token query parameter, else the login page's session cookie (bs,
// nil otherwise). rewrite reports a token that must be forwarded in a
// rewritten Authorization (see accessTokenFrom); a cookie's always is.
func (g *Gateway) credentialOf(r *http.Request, withQuery bool) (raw string, rewrite bool, bs *loginpage.Session) {
	if withQuery {
		raw, rewrite = accessTokenFrom(r)
	} else {
		raw, rewrite = bearerFrom(r)
	}
	if raw == "" && g.page != nil {
		if bs = g.page.Session(r); bs != nil {
			raw, rewrite = bs.Access, true
		}
	}
	return raw, rewrite, bs
}

// accepted is e, or for a verified token of a tenant the protected path
// does not take (Config.AcceptTenants) 905.
func (g *Gateway) accepted(vt *cache.Token, e *lrerr.Error) *lrerr.Error {
	if e == nil && !g.accepts(vt.Tenant) {
		return lrerr.New(lrerr.CodeAccessTokenInvalid)
	}
	return e
}

// forwardToken sets on h the Authorization the upstream gets for the
// verified token raw: none with forward_token off; for a handle the JWT
// minted for it; else, when rewrite, raw as the only Bearer credential
// (otherwise what the client sent stays).
func (g *Gateway) forwardToken(h http.Header, vt *cache.Token, raw string, rewrite bool) {
	switch {
	case g.cfg.WithholdToken:
		delete(h, "Authorization")
	case vt.Upstream != nil:
		// A handle never travels upstream: the app gets the JWT minted
		// for it, which it verifies against the JWKS.
		h["Authorization"] = vt.Upstream
	case rewrite:
		// Exactly the verified token travels: from the query or the
		// cookie, or instead of several Authorization headers (an app
		// that reads the last would act as whoever another token names).
		h["Authorization"] = []string{"Bearer " + raw}
	}
}

// accepts reports whether the protected path takes the tokens of tenant
// (Config.AcceptTenants).
func (g *Gateway) accepts(tenant string) bool {
	if len(g.cfg.AcceptTenants) == 0 {
		return true
	}
	for _, t := range g.cfg.AcceptTenants {
		if t == tenant {
			return true
		}
	}
	return false
}

// anonymous passes a request that has no valid token when its target is
// public, without any bearer token, and otherwise denies it with e.
func (g *Gateway) anonymous(w http.ResponseWriter, r *http.Request, e *lrerr.Error) (*Identity, bool) {
	if !g.Public(r.Method, r.URL.RequestURI()) {
		g.deny(w, r, e)
		return nil, false
	}
	dropBearer(r.Header)
	return nil, true
}

// accessTokenFrom returns the access token of a request, the Authorization
// Bearer credential (of the first such header), else the access_token query
// parameter, and whether Authorization must be rewritten to forward exactly
// that token: it came from the query, or beside other Authorization headers.
func accessTokenFrom(r *http.Request) (token string, rewrite bool) {
	if token, rewrite = bearerFrom(r); token != "" {
		return token, rewrite
	}
	if r.URL.RawQuery != "" && containsFoldASCII(r.URL.RawQuery, accessTokenParam+"=") {
		return apireq.Query(r).Get(accessTokenParam), true
	}
	return "", false
}

// bearerFrom returns the Bearer credential of the first Authorization
// header, and whether other Authorization headers came with it.
func bearerFrom(r *http.Request) (token string, others bool) {
	if vals := r.Header["Authorization"]; len(vals) > 0 {
		if h := vals[0]; len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
			return strings.TrimSpace(h[7:]), len(vals) > 1
		}
	}
	return "", false
}

// authenticate verifies an access token, from the cache when it was verified
// before. It returns the token's cached verification and the account's
// profile entry, or an *Error (905, 906, 991 or 503).
func (g *Gateway) authenticate(ctx context.Context, raw string) (vt *cache.Token, prof *cache.Profile, e *lrerr.Error) {
	cached := true
	defer func() { g.obs.TokenVerified(tokenResultOf(e), cached) }()
	now := g.now()
	vt, ok := g.cache.Token(raw)
	if !ok {
		cached = false
		var e *lrerr.Error
		if vt, e = g.verifyUncached(ctx, raw, now); e != nil {
			return nil, nil, e
		}
	} else if !now.Before(vt.Exp) {
		return nil, nil, lrerr.New(lrerr.CodeAccessTokenExpired)
	}
	if vt.Claimed != nil {
		if g.cache.TrustsClaims(vt.ProfileKey) {
			return vt, vt.Claimed, nil
		}
		// Verified from its claims alone; now that they cannot be
		// trusted, its session is checked as any other token's.
		valid, err := g.cache.SessionValid(ctx, g.store, vt.SID, vt.Tenant, vt.UID, now)
		if err != nil {
			return nil, nil, lrerr.Unavailable(err)
		}
		if !valid {
			return nil, nil, lrerr.New(lrerr.CodeAccessTokenInvalid)
		}
	}
	prof, found, err := g.profileAt(ctx, vt.ProfileKey, vt.Tenant, vt.UID)
	if err != nil {
		return nil, nil, lrerr.Unavailable(err)
	}
	if !found {
		return nil, nil, lrerr.New(lrerr.CodeAccessTokenInvalid)
	}
	if !prof.Active {
		return nil, nil, lrerr.New(lrerr.CodeAccountBlocked)
	}
	return vt, prof, nil
}

// verifyUncached checks signature and claims (or, for a handle, looks it up
// in the store) and session state, and caches the result until the token
// expires (see cache.Caches.KeepToken).
func (g *Gateway) verifyUncached(ctx context.Context, raw string, now time.Time) (*cache.Token, *lrerr.Error) {
	st := g.cache.Stamp()
	claims, e := g.accessClaimsOf(ctx, raw, now)
	if e != nil {
		return nil, e
	}
	if vt := g.claimedToken(raw, claims); vt != nil {
		if g.cache.SessionRevoked(claims.SID) {
			return nil, lrerr.New(lrerr.CodeAccessTokenInvalid)
		}
		g.cache.KeepToken(st, vt, now)
		return vt, nil
	}
	valid, err := g.cache.SessionValid(ctx, g.store, claims.SID, claims.Audience[0], claims.Subject, now)
	if err != nil {
		return nil, lrerr.Unavailable(err)
	}
	if !valid {
		return nil, lrerr.New(lrerr.CodeAccessTokenInvalid)
	}
	vt := cache.NewToken(raw, claims)
	if tokens.IsHandle(raw) {
		// Signed only once the session is known valid: unknown and
		// revoked handles cost no signature.
		signed, err := g.tokens.Sign(claims)
		if err != nil {
			return nil, lrerr.Internal(err)
		}
		vt.Upstream = []string{"Bearer " + signed}
	}
	g.cache.KeepToken(st, vt, now)
	return vt, nil
}

// claimedToken is the cache entry of a token whose claims carry its
// account's profile and may be trusted without reading the store (issue
// 22): nil when they carry none or its tag is not the gateway's (see
// tokens.ProfileTags), when the identity headers need what only
// the store knows (a preset's user name), or when the account may have
// changed since (cache.Caches.TrustsClaims). The caller still checks the
// revoked set.
func (g *Gateway) claimedToken(raw string, claims *tokens.Claims) *cache.Token {
	if claims.Profile == nil || g.hdrs.NeedsUser() {
		return nil
	}
	vt := cache.NewToken(raw, claims)
	// The staleness marks last one access_ttl: a token that outlives it
	// (issued under a longer one) could outlive them too.
	if vt.Exp.After(g.now().Add(g.cfg.AccessTTL)) {
		return nil
	}
	if !g.profileTags.Valid(vt.Tenant, vt.UID, vt.SID, claims.ExpiresAt.Unix(), claims.Profile) {
		return nil
	}
	if !g.cache.TrustsClaims(vt.ProfileKey) {
		return nil
	}
	p := cache.NewClaimedProfile(vt.Tenant, vt.UID, claims.Profile)
	if dropped := p.Headers.Dropped(); dropped != nil {
		g.log.Warn("identity header dropped", zap.String("tenant", vt.Tenant), zap.String("uid", vt.UID),
			zap.Strings("fields", dropped), zap.String("reason", "the token's value is not one a header may carry"))
	}
	g.hdrs.Prepare(&p.Headers)
	vt.Claimed = p
	return vt
}

// profile returns an account's cached profile entry, loading it from the
// store on a miss.
func (g *Gateway) profile(ctx context.Context, tenant, uid string) (*cache.Profile, bool, error) {
	return g.profileAt(ctx, cache.ProfileKey(tenant, uid), tenant, uid)
}

// profileAt is profile with the cache key computed by the caller.
func (g *Gateway) profileAt(ctx context.Context, key, tenant, uid string) (*cache.Profile, bool, error) {
	if p, ok := g.cache.Profile(key); ok {
		return p, true, nil
	}
	st := g.cache.Stamp()
	a, found, err := g.store.Account(ctx, tenant, uid)
	if err != nil || !found {
		return nil, found, err
	}
	p := cache.NewProfile(a)
	if dropped := p.Headers.Dropped(); dropped != nil {
		g.log.Warn("identity header dropped", zap.String("tenant", tenant), zap.String("uid", uid),
			zap.Strings("fields", dropped), zap.String("reason", "the stored value is not one a header may carry"))
	}
	g.hdrs.Prepare(&p.Headers)
	if g.hdrs.NeedsUser() {
		if err := g.pickPresetUser(ctx, p); err != nil {
			return nil, false, err
		}
	}
	g.cache.KeepProfile(st, key, p)
	return p, true, nil
}

// pickPresetUser finds the preset's user value of p: the first of its
// names that store.Reader.NameOwner gives to this account. A name shared
// from before names were unique across kinds (a NameConflict) is skipped
// and logged; a store fault fails the request closed.
func (g *Gateway) pickPresetUser(ctx context.Context, p *cache.Profile) error {
	id := &p.Identity
	return p.Headers.PickUser(func(name string) (bool, error) {
		owner, _, err := g.store.NameOwner(ctx, id.Tenant, store.NameOf(name))
		return err == nil && owner == id.UID, err
	}, func(f identityheaders.Field) {
		g.log.Warn("preset user name skipped", zap.String("tenant", id.Tenant), zap.String("uid", id.UID),
			zap.String("field", f.String()), zap.String("reason", "another account has the same name"))
	})
}

// deny answers a protected request that has no valid token: a browser
// is sent to the login page when there is one, anyone else gets 401 JSON.
func (g *Gateway) deny(w http.ResponseWriter, r *http.Request, e *lrerr.Error) {
	apireq.CloseUnreadBody(w, r)
	if g.page != nil && g.page.RedirectToLogin(w, r, e) {
		return
	}
	switch e.Code {
	case lrerr.CodeAccessTokenMissing:
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+g.cfg.Issuer+`"`)
	case lrerr.CodeAccessTokenInvalid, lrerr.CodeAccessTokenExpired:
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+g.cfg.Issuer+`", error="invalid_token"`)
	}
	if e.Code != lrerr.CodeUnavailable && e.Code != lrerr.CodeAccountBlocked {
		e = &lrerr.Error{Code: e.Code, Status: http.StatusUnauthorized}
	}
	g.writeError(w, r, e)
}
