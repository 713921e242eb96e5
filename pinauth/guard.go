package pinauth

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/captcha"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/ratelimit"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// callGuard is the brute-force bookkeeping of one API call: a call is
// rate-limited once and verifies its captcha once, however many credential
// checks it makes.
type callGuard struct {
	rateCounted   bool
	captchaSolved bool
	bodyParsed    bool
	body          map[string]any
}

// limitClient applies the per-client rate limit to a call's credential
// checks: the first check of a call counts, later ones of the same call
// (several answers in one request) do not. Over the limit → 429 with
// Retry-After.
func (g *Gateway) limitClient(c *call) error {
	if c.guard.rateCounted {
		return nil
	}
	ok, wait := g.limiter.Allow(ratelimit.Key(c.clientIP), g.cfg.RateLimit, c.now)
	if !ok {
		g.logFailure(c, "rate_limited", "")
		return &lrerr.Error{Code: lrerr.CodeTooManyRequests, RetryAfter: wait}
	}
	c.guard.rateCounted = true
	return nil
}

// unlimitClient refunds the call's counted check (used when the check
// could not take place for a reason that is not the client's).
func (g *Gateway) unlimitClient(c *call) {
	if c.guard.rateCounted {
		g.limiter.Refund(ratelimit.Key(c.clientIP), g.cfg.RateLimit, c.now)
		c.guard.rateCounted = false
	}
}

// captchaGate applies the captcha policy to one credential check counted
// under ref: an account, an identifier that found none (unknownRef), or
// nothing (the zero ref: an invalid token). It returns
// the lock type the check may pass through: LockCaptcha once a valid
// captcha was verified. A required captcha that is missing fails with 1132
// while the account has a captcha lock, else 982; an invalid one with 982;
// a provider that cannot answer fails closed with 503, and then the check
// is counted nowhere (neither the lockout nor the rate limit).
func (g *Gateway) captchaGate(ctx context.Context, c *call, ref store.AccountRef) (store.LockType, error) {
	v, cc := g.captcha, g.cfg.Captcha
	if v == nil {
		return store.LockNone, nil
	}
	if c.guard.captchaSolved {
		// Providers accept an answer once: a call with several checks
		// (several answers) verifies it for the first.
		return store.LockCaptcha, nil
	}
	uid := loggedUID(ref)
	captchaLocked, required := false, cc.Always
	if ref.UID != "" {
		att, _, err := g.store.Attempts(ctx, ref)
		if err != nil {
			return store.LockNone, lrerr.Unavailable(err)
		}
		switch {
		case att.Locked(c.now) && att.LockType == store.LockCaptcha:
			captchaLocked, required = true, true
		case att.Locked(c.now):
			// Another lock type answers with its own error; a captcha
			// would not open it.
		case failuresInWindow(att, g.cfg.Lockout.Window, c.now) >= cc.After:
			required = true
		}
	}
	if !required {
		return store.LockNone, nil
	}
	ans := captcha.AnswerFrom(cc.Provider, c.field)
	if ans.Response == "" {
		g.obs.CaptchaVerified(cc.Provider, captcha.Missing)
		g.logFailure(c, "captcha_missing", uid)
		if captchaLocked {
			return store.LockNone, lrerr.New(lrerr.CodeLockedCaptcha)
		}
		return store.LockNone, lrerr.New(lrerr.CodeCaptchaInvalid)
	}
	ok, err := v.Verify(ctx, ans, c.clientIP)
	if err != nil {
		g.obs.CaptchaVerified(cc.Provider, captcha.ProviderError)
		g.unlimitClient(c)
		// writeError logs the cause (secret-free by construction) with a
		// request id at Warn.
		return store.LockNone, &lrerr.Error{
			Code:        lrerr.CodeUnavailable,
			Description: "The CAPTCHA could not be verified: the CAPTCHA provider is unavailable. Try again later.",
			RetryAfter:  5 * time.Second,
			Cause:       err,
		}
	}
	if !ok {
		g.obs.CaptchaVerified(cc.Provider, captcha.Invalid)
		g.logFailure(c, "captcha_invalid", uid)
		return store.LockNone, lrerr.New(lrerr.CodeCaptchaInvalid)
	}
	g.obs.CaptchaVerified(cc.Provider, captcha.Valid)
	c.guard.captchaSolved = true
	return store.LockCaptcha, nil
}

// field returns the first non-empty value of the named (lower-case)
// fields in the query, the JSON body or the posted form, matched without
// case.
func (c *call) field(names ...string) string {
	if v := c.q.Get(names...); v != "" {
		return v
	}
	if body := c.jsonBody(); body != nil {
		for _, n := range names {
			for k, v := range body {
				if strings.EqualFold(k, n) {
					if s, ok := v.(string); ok && s != "" {
						return s
					}
				}
			}
		}
	}
	if c.r.PostForm != nil {
		for _, n := range names {
			for k, v := range c.r.PostForm {
				if strings.EqualFold(k, n) && len(v) > 0 && v[0] != "" {
					return v[0]
				}
			}
		}
	}
	return ""
}

// jsonBody returns the request's JSON object body once the handler has
// read it (nil before, or when it is not an object), parsed at most once
// per call.
func (c *call) jsonBody() map[string]any {
	if !c.guard.bodyParsed {
		c.guard.bodyParsed = true
		if data, ok := apireq.Spent(c.r); ok && len(data) > 0 {
			_ = json.Unmarshal(data, &c.guard.body)
		}
	}
	return c.guard.body
}
