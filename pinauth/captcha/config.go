// Package captcha is the bot protection of credential checks: the
// providers' configuration and its checks, the answer a request carries,
// and the server-side verification with the provider. When a captcha is
// required, and what a failed one answers, is the core's decision.
package captcha

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"
)

// Config is the bot protection of credential checks: when a captcha
// is required, the request must carry a solved one, which the gateway
// verifies with the provider before it compares any secret.
type Config struct {
	// Provider is ReCAPTCHA, HCaptcha or Tencent. Required.
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
	// (DefaultVerifyURLs).
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
	// ReCAPTCHA is Google's reCAPTCHA, v2 or v3.
	ReCAPTCHA = "recaptcha"
	// HCaptcha is hCaptcha.
	HCaptcha = "hcaptcha"
	// Tencent is Tencent Captcha.
	Tencent = "tencent"
)

// Providers lists every provider name a configuration may give.
var Providers = []string{ReCAPTCHA, HCaptcha, Tencent}

// CheckProvider reports an error unless name is one of Providers; the
// core's and the Caddy adapter's validators both call it.
func CheckProvider(name string) error {
	if !slices.Contains(Providers, name) {
		return fmt.Errorf("unknown provider %q (want recaptcha, hcaptcha or tencent)", name)
	}
	return nil
}

// DefaultVerifyURLs are the providers' verification endpoints.
var DefaultVerifyURLs = map[string]string{
	ReCAPTCHA: "https://www.google.com/recaptcha/api/siteverify",
	HCaptcha:  "https://api.hcaptcha.com/siteverify",
	Tencent:   "https://ssl.captcha.qq.com/ticket/verify",
}

// The captcha defaults.
const (
	// DefaultMinScore is Config.MinScore when it is zero.
	DefaultMinScore = 0.5
	// DefaultTimeout is Config.Timeout when it is not positive.
	DefaultTimeout = 5 * time.Second
)

// Validate checks cc as given, before defaults: a known provider, a
// secret, Tencent's app id, an After and MinScore in range, and a
// VerifyURL, when given, absolute http or https. Error texts never contain
// the secret.
func (cc Config) Validate() error {
	if err := CheckProvider(cc.Provider); err != nil {
		return err
	}
	if cc.Secret == "" {
		return errors.New("a secret is required")
	}
	if cc.Provider == Tencent && cc.AppID == "" {
		return errors.New("tencent needs app_id")
	}
	if u := cc.VerifyURL; u != "" {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			return errors.New("verify_url must be an absolute http or https URL")
		}
	}
	if cc.After < 0 {
		return errors.New("after must not be negative")
	}
	if cc.MinScore < 0 || cc.MinScore > 1 {
		return errors.New("min_score must be between 0 and 1")
	}
	return nil
}

// WithDefaults validates cc and fills defaults; lockoutAttempts is the
// lockout threshold After defaults from. Error texts never contain the
// secret.
func (cc Config) WithDefaults(lockoutAttempts int) (Config, error) {
	if err := cc.Validate(); err != nil {
		return cc, err
	}
	if cc.VerifyURL == "" {
		cc.VerifyURL = DefaultVerifyURLs[cc.Provider]
	}
	if cc.After == 0 {
		cc.After = lockoutAttempts - 2
	}
	if cc.After < 1 {
		cc.Always = true
	}
	if cc.MinScore == 0 {
		cc.MinScore = DefaultMinScore
	}
	if cc.Timeout <= 0 {
		cc.Timeout = DefaultTimeout
	}
	return cc, nil
}
