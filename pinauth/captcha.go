package pinauth

import (
	"errors"
	"fmt"
	"net/url"
	"time"
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

// captchaAnswerFrom reads provider's captcha fields through field, which
// returns the first non-empty value of the named (lower-case) request
// fields.
func captchaAnswerFrom(provider string, field func(names ...string) string) captchaAnswer {
	names := captchaFieldNames[provider]
	a := captchaAnswer{response: field(names[0]...)}
	if len(names[1]) > 0 {
		a.randstr = field(names[1]...)
		if a.randstr == "" {
			a.response = ""
		}
	}
	return a
}
