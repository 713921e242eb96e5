package pinauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// CaptchaConfig is the bot protection of credential checks: when a captcha
// is required, the request must carry a solved one, which the gateway
// verifies with the provider before it compares any secret.
type CaptchaConfig struct {
	// Provider is CaptchaReCAPTCHA, CaptchaHCaptcha or CaptchaTencent.
	// Required.
	Provider string
	// Secret is the provider's server-side key (the reCAPTCHA or hCaptcha
	// secret key, Tencent's AppSecretKey). It is sent to VerifyURL and
	// nowhere else, and never logged. Required.
	Secret string
	// AppID is Tencent's CaptchaAppId (the aid parameter). Required for
	// tencent, unused otherwise.
	AppID string
	// SiteKey is the public site key. hCaptcha then also checks that the
	// answer was issued for it; pages use it to render the widget.
	// Default: none.
	SiteKey string
	// VerifyURL is where answers are verified. Default: the provider's
	// (DefaultCaptchaVerifyURLs).
	VerifyURL string
	// Always requires a captcha on every credential check, whatever the
	// account's failure count (unknown accounts included). Default: false.
	Always bool
	// After requires a captcha once the account has this many failed
	// checks counted in the lockout window (and always while it is locked
	// with the captcha lock type). Default: the lockout's attempts minus 2;
	// when that is below 1, every check needs one (as with Always).
	After int
	// MinScore is the lowest reCAPTCHA v3 score accepted; v2 answers carry
	// no score. Default: 0.5.
	MinScore float64
	// Action, when set, must equal the action of a reCAPTCHA v3 answer.
	// Default: any action.
	Action string
	// Timeout bounds one verification; a provider that does not answer in
	// time fails the request closed (503). Default: 5s.
	Timeout time.Duration
}

// The captcha providers.
const (
	CaptchaReCAPTCHA = "recaptcha"
	CaptchaHCaptcha  = "hcaptcha"
	CaptchaTencent   = "tencent"
)

// DefaultCaptchaVerifyURLs are the providers' verification endpoints.
var DefaultCaptchaVerifyURLs = map[string]string{
	CaptchaReCAPTCHA: "https://www.google.com/recaptcha/api/siteverify",
	CaptchaHCaptcha:  "https://api.hcaptcha.com/siteverify",
	CaptchaTencent:   "https://ssl.captcha.qq.com/ticket/verify",
}

// The captcha defaults.
const (
	DefaultCaptchaMinScore = 0.5
	DefaultCaptchaTimeout  = 5 * time.Second
)

// withDefaults validates the captcha configuration and fills defaults;
// lockoutAttempts is the lockout threshold After defaults from. Error
// texts never contain the secret.
func (cc CaptchaConfig) withDefaults(lockoutAttempts int) (CaptchaConfig, error) {
	def, known := DefaultCaptchaVerifyURLs[cc.Provider]
	if !known {
		return cc, fmt.Errorf("pinauth: captcha: unknown provider %q (want recaptcha, hcaptcha or tencent)", cc.Provider)
	}
	if cc.Secret == "" {
		return cc, errors.New("pinauth: captcha: a secret is required")
	}
	if cc.Provider == CaptchaTencent && cc.AppID == "" {
		return cc, errors.New("pinauth: captcha: tencent needs app_id")
	}
	if cc.VerifyURL == "" {
		cc.VerifyURL = def
	}
	u, err := url.Parse(cc.VerifyURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return cc, errors.New("pinauth: captcha: verify_url must be an absolute http or https URL")
	}
	if cc.After < 0 {
		return cc, errors.New("pinauth: captcha: after must not be negative")
	}
	if cc.After == 0 {
		cc.After = lockoutAttempts - 2
	}
	if cc.After < 1 {
		cc.Always = true
	}
	if cc.MinScore < 0 || cc.MinScore > 1 {
		return cc, errors.New("pinauth: captcha: min_score must be between 0 and 1")
	}
	if cc.MinScore == 0 {
		cc.MinScore = DefaultCaptchaMinScore
	}
	setDefault(&cc.Timeout, DefaultCaptchaTimeout)
	return cc, nil
}

// captchaAnswer is the solved captcha a request carries.
type captchaAnswer struct {
	// response is the reCAPTCHA/hCaptcha token or the Tencent ticket.
	response string
	// randstr is Tencent's random string.
	randstr string
}

// captchaFieldNames are the request fields (lower-case) holding each
// provider's answer, in order of preference. hCaptcha's widget fills
// g-recaptcha-response too, for drop-in compatibility.
var captchaFieldNames = map[string][2][]string{
	CaptchaReCAPTCHA: {{"g-recaptcha-response", "g_recaptcha_response"}},
	CaptchaHCaptcha:  {{"h-captcha-response", "h_captcha_response", "g-recaptcha-response", "g_recaptcha_response"}},
	CaptchaTencent: {
		{"qq_captcha_ticket", "qq_recaptcha_ticket"},
		{"qq_captcha_randstr", "qq_recaptcha_randstr"},
	},
}

// answerFor reads provider's captcha fields from the call: the query,
// then a JSON body the handler has read, then a parsed form.
func (c *call) answerFor(provider string) captchaAnswer {
	names := captchaFieldNames[provider]
	a := captchaAnswer{response: c.field(names[0]...)}
	if len(names[1]) > 0 {
		a.randstr = c.field(names[1]...)
		if a.randstr == "" {
			a.response = ""
		}
	}
	return a
}

// field returns the first non-empty value of the named (lower-case)
// fields in the query, the JSON body or the posted form, matched without
// case.
func (c *call) field(names ...string) string {
	if v := c.q.get(names...); v != "" {
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

// captchaGate applies the captcha policy to one credential check counted
// under ref: an account, an identifier that found none (unknownRef), or
// nothing (the zero ref: an invalid token). It returns
// the lock type the check may pass through: LockCaptcha once a valid
// captcha was verified. A required captcha that is missing fails with 1132
// while the account has a captcha lock, else 982; an invalid one with 982;
// a provider that cannot answer fails closed with 503, and then the check
// is counted nowhere (neither the lockout nor the rate limit).
func (g *Gateway) captchaGate(ctx context.Context, c *call, ref store.AccountRef) (store.LockType, error) {
	v := g.captcha
	if v == nil {
		return store.LockNone, nil
	}
	if c.guard.captchaSolved {
		// Providers accept an answer once: a call with several checks
		// (several answers) verifies it for the first.
		return store.LockCaptcha, nil
	}
	uid := loggedUID(ref)
	captchaLocked, required := false, v.cfg.Always
	if ref.UID != "" {
		att, _, err := g.store.Attempts(ctx, ref)
		if err != nil {
			return store.LockNone, errUnavailable(err)
		}
		switch {
		case att.Locked(c.now) && att.LockType == store.LockCaptcha:
			captchaLocked, required = true, true
		case att.Locked(c.now):
			// Another lock type answers with its own error; a captcha
			// would not open it.
		case failuresInWindow(att, g.cfg.Lockout.Window, c.now) >= v.cfg.After:
			required = true
		}
	}
	if !required {
		return store.LockNone, nil
	}
	ans := c.answerFor(v.cfg.Provider)
	if ans.response == "" {
		g.obs.CaptchaVerified(v.cfg.Provider, CaptchaMissing)
		g.logFailure(c, "captcha_missing", uid)
		if captchaLocked {
			return store.LockNone, errCode(CodeLockedCaptcha)
		}
		return store.LockNone, errCode(CodeCaptchaInvalid)
	}
	ok, err := v.verify(ctx, ans, c.clientIP)
	if err != nil {
		g.obs.CaptchaVerified(v.cfg.Provider, CaptchaError)
		g.unlimitClient(c)
		// writeError logs the cause (secret-free by construction) with a
		// request id at Warn.
		return store.LockNone, &Error{
			Code:        CodeUnavailable,
			Description: "The CAPTCHA could not be verified: the CAPTCHA provider is unavailable. Try again later.",
			RetryAfter:  5 * time.Second,
			Cause:       err,
		}
	}
	if !ok {
		g.obs.CaptchaVerified(v.cfg.Provider, CaptchaInvalid)
		g.logFailure(c, "captcha_invalid", uid)
		return store.LockNone, errCode(CodeCaptchaInvalid)
	}
	g.obs.CaptchaVerified(v.cfg.Provider, CaptchaValid)
	c.guard.captchaSolved = true
	return store.LockCaptcha, nil
}

// jsonBody returns the request's JSON object body once the handler has
// read it (nil before, or when it is not an object), parsed at most once
// per call.
func (c *call) jsonBody() map[string]any {
	if !c.guard.bodyParsed {
		c.guard.bodyParsed = true
		if sb, ok := c.r.Body.(spentBody); ok && len(sb.data) > 0 {
			_ = json.Unmarshal(sb.data, &c.guard.body)
		}
	}
	return c.guard.body
}
