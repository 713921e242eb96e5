package captcha

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Verifier asks the configured provider whether an answer is valid. It is
// safe for concurrent use.
type Verifier struct {
	cfg    Config
	client *http.Client
}

// maxCaptchaResponse bounds the provider's answer we read.
const maxCaptchaResponse = 64 << 10

// tencentMaxEvilLevel is the highest Tencent evil_level accepted; the
// provider rates answers from 0 (benign) to 100 (malicious).
const tencentMaxEvilLevel = 50

// NewVerifier returns a verifier for cfg, which has its defaults
// (Config.WithDefaults).
func NewVerifier(cfg Config) *Verifier {
	return &Verifier{cfg: cfg, client: &http.Client{
		Timeout: cfg.Timeout,
		// A redirect could carry the secret to another host: never
		// follow one (the 3xx then fails the verification closed).
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Verify reports whether the provider accepts ans for a client at
// clientIP. err is set only when the provider gave no usable verdict
// (unreachable, timeout, a non-200 status, an unreadable answer, or a
// rejected secret, which is the operator's fault, not the client's); its
// text never contains the secret.
func (v *Verifier) Verify(ctx context.Context, ans Answer, clientIP string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, v.cfg.Timeout)
	defer cancel()
	form := v.form(ans, clientIP).Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.cfg.VerifyURL, strings.NewReader(form))
	if err != nil {
		return false, v.fault(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := v.client.Do(req)
	if err != nil {
		return false, v.fault(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxCaptchaResponse+1))
	switch {
	case err != nil:
		return false, v.fault(err)
	case resp.StatusCode != http.StatusOK:
		return false, v.fault(fmt.Errorf("HTTP status %d", resp.StatusCode))
	case len(body) > maxCaptchaResponse:
		return false, v.fault(errors.New("answer too large"))
	}
	switch v.cfg.Provider {
	case Tencent:
		return v.tencentVerdict(body)
	default:
		return v.siteverifyVerdict(body)
	}
}

// form is the provider's verification request. reCAPTCHA and hCaptcha
// take secret, response and the optional remoteip (hCaptcha also
// sitekey); Tencent takes aid, AppSecretKey, Ticket, Randstr and UserIP.
// The secret travels in the POST body, never in a URL.
func (v *Verifier) form(ans Answer, clientIP string) url.Values {
	f := url.Values{}
	if v.cfg.Provider == Tencent {
		f.Set("aid", v.cfg.AppID)
		f.Set("AppSecretKey", v.cfg.Secret)
		f.Set("Ticket", ans.Response)
		f.Set("Randstr", ans.Randstr)
		f.Set("UserIP", clientIP)
		return f
	}
	f.Set("secret", v.cfg.Secret)
	f.Set("response", ans.Response)
	if clientIP != "" {
		f.Set("remoteip", clientIP)
	}
	if v.cfg.Provider == HCaptcha && v.cfg.SiteKey != "" {
		f.Set("sitekey", v.cfg.SiteKey)
	}
	return f
}

// siteverifyAnswer is the JSON answer of reCAPTCHA's and hCaptcha's
// siteverify. reCAPTCHA v3 adds score (0.0 bot … 1.0 human) and action.
type siteverifyAnswer struct {
	Success    bool     `json:"success"`
	Score      *float64 `json:"score"`
	Action     string   `json:"action"`
	ErrorCodes []string `json:"error-codes"`
}

// secretErrorCodes are siteverify error codes that blame the secret or
// site key: a configuration fault, reported as the provider failing.
var secretErrorCodes = []string{"missing-input-secret", "invalid-input-secret", "sitekey-secret-mismatch"}

func (v *Verifier) siteverifyVerdict(body []byte) (bool, error) {
	var a siteverifyAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return false, v.fault(errors.New("answer is not the expected JSON"))
	}
	for _, code := range a.ErrorCodes {
		if slices.Contains(secretErrorCodes, code) {
			return false, v.fault(fmt.Errorf("the provider rejected the configured secret (%s)", code))
		}
	}
	if !a.Success {
		return false, nil
	}
	// Scores and actions are reCAPTCHA v3's. hCaptcha Enterprise scores
	// run the other way (higher is riskier) and are left to its own
	// thresholds, which already decide success.
	if v.cfg.Provider == ReCAPTCHA {
		if a.Score != nil && *a.Score < v.cfg.MinScore {
			return false, nil
		}
		if v.cfg.Action != "" && a.Action != v.cfg.Action {
			return false, nil
		}
	}
	return true, nil
}

// tencentAnswer is the JSON answer of Tencent's ticket verification:
// response "1" passes; evil_level rates the risk. Both arrive as strings
// or numbers.
type tencentAnswer struct {
	Response  looseInt `json:"response"`
	EvilLevel looseInt `json:"evil_level"`
	ErrMsg    string   `json:"err_msg"`
}

func (v *Verifier) tencentVerdict(body []byte) (bool, error) {
	var a tencentAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return false, v.fault(errors.New("answer is not the expected JSON"))
	}
	return a.Response == 1 && a.EvilLevel <= tencentMaxEvilLevel, nil
}

// fault wraps a failure to get a verdict. Transport errors lose their URL
// (a url.Error repeats it) so nothing but the cause reaches the logs.
func (v *Verifier) fault(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("captcha provider %s: %w", v.cfg.Provider, err)
}

// looseInt decodes a JSON number or a string holding one.
type looseInt int

func (n *looseInt) UnmarshalJSON(b []byte) error {
	s := string(bytes.Trim(b, `"`))
	if s == "" || s == "null" {
		*n = 0
		return nil
	}
	i, err := strconv.Atoi(s)
	if err != nil {
		return err
	}
	*n = looseInt(i)
	return nil
}
