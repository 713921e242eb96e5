package pinauth

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/captcha"
)

// The answers a test client sends; each fake provider answers them as the
// real API answers a token of that kind.
const (
	answerOK       = "tok-ok"       // a solved captcha
	answerBad      = "tok-bad"      // wrong, expired or reused
	answerLowScore = "tok-lowscore" // reCAPTCHA v3 low score / Tencent high evil_level
	answerSlow     = "tok-slow"     // the provider does not answer in time
	answerBoom     = "tok-boom"     // the provider answers HTTP 500
	fakeRandstr    = "@rNd"
	fakeAppID      = "2094639739"
	fakeSiteKey    = "10000000-ffff-ffff-ffff-000000000001"
)

// fakeProvider is a local stand-in for a captcha provider's verify API. It
// checks the secret (and Tencent's aid and Randstr) as the real service
// does and records every verification request it received.
type fakeProvider struct {
	provider string
	secret   string
	srv      *httptest.Server

	mu       sync.Mutex
	requests []fakeRequest
}

// fakeRequest is what a verification request carried.
type fakeRequest struct {
	method   string
	rawQuery string
	form     url.Values // the POST body
}

func newFakeProvider(t *testing.T, provider, secret string) *fakeProvider {
	t.Helper()
	f := &fakeProvider{provider: provider, secret: secret}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeProvider) received() []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeRequest(nil), f.requests...)
}

func (f *fakeProvider) serve(w http.ResponseWriter, r *http.Request) {
	rawQuery := r.URL.RawQuery
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, fakeRequest{method: r.Method, rawQuery: rawQuery, form: r.PostForm})
	f.mu.Unlock()
	token := r.Form.Get("response")
	if f.provider == captcha.Tencent {
		token = r.Form.Get("Ticket")
	}
	switch token {
	case answerSlow:
		// Never answer: the gateway's timeout must end the call.
		<-r.Context().Done()
		return
	case answerBoom:
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	var body any
	switch f.provider {
	case captcha.ReCAPTCHA:
		body = f.recaptcha(r.Form, token)
	case captcha.HCaptcha:
		body = f.hcaptcha(r.Form, token)
	case captcha.Tencent:
		body = f.tencent(r.Form, token)
	}
	_ = json.NewEncoder(w).Encode(body)
}

// recaptcha answers as https://www.google.com/recaptcha/api/siteverify
// does for a v3 key: success plus score and action.
func (f *fakeProvider) recaptcha(form url.Values, token string) map[string]any {
	switch {
	case form.Get("secret") == "":
		return map[string]any{"success": false, "error-codes": []string{"missing-input-secret"}}
	case form.Get("secret") != f.secret:
		return map[string]any{"success": false, "error-codes": []string{"invalid-input-secret"}}
	case token == "":
		return map[string]any{"success": false, "error-codes": []string{"missing-input-response"}}
	case token == answerOK:
		return map[string]any{"success": true, "score": 0.9, "action": "login",
			"challenge_ts": "2026-11-25T12:00:00Z", "hostname": "gw.test"}
	case token == answerLowScore:
		return map[string]any{"success": true, "score": 0.1, "action": "login",
			"challenge_ts": "2026-11-25T12:00:00Z", "hostname": "gw.test"}
	}
	return map[string]any{"success": false, "error-codes": []string{"timeout-or-duplicate"}}
}

// hcaptcha answers as https://api.hcaptcha.com/siteverify does.
func (f *fakeProvider) hcaptcha(form url.Values, token string) map[string]any {
	switch {
	case form.Get("secret") == "":
		return map[string]any{"success": false, "error-codes": []string{"missing-input-secret"}}
	case form.Get("secret") != f.secret:
		return map[string]any{"success": false, "error-codes": []string{"invalid-input-secret"}}
	case form.Get("sitekey") != "" && form.Get("sitekey") != fakeSiteKey:
		return map[string]any{"success": false, "error-codes": []string{"sitekey-secret-mismatch"}}
	case token == answerOK:
		return map[string]any{"success": true, "challenge_ts": "2026-11-25T12:00:00.000000Z",
			"hostname": "gw.test", "credit": false}
	case token == "":
		return map[string]any{"success": false, "error-codes": []string{"missing-input-response"}}
	}
	return map[string]any{"success": false, "error-codes": []string{"invalid-or-already-seen-response"}}
}

// tencent answers as https://ssl.captcha.qq.com/ticket/verify does:
// strings for response and evil_level.
func (f *fakeProvider) tencent(form url.Values, token string) map[string]any {
	switch {
	case form.Get("aid") != fakeAppID || form.Get("AppSecretKey") != f.secret:
		return map[string]any{"response": "100", "evil_level": "0", "err_msg": "appsecretkey-ticket mismatch"}
	case form.Get("Randstr") != fakeRandstr:
		return map[string]any{"response": "7", "evil_level": "0", "err_msg": "captcha no match"}
	case token == answerOK:
		return map[string]any{"response": "1", "evil_level": "0", "err_msg": "OK"}
	case token == answerLowScore:
		return map[string]any{"response": "1", "evil_level": "100", "err_msg": "OK"}
	}
	return map[string]any{"response": "9", "evil_level": "0", "err_msg": "ticket reused"}
}

// captchaAnswerFields returns the request fields carrying answer for provider,
// as a browser widget would post them.
func captchaAnswerFields(provider, answer string) map[string]string {
	switch provider {
	case captcha.ReCAPTCHA:
		return map[string]string{"g-recaptcha-response": answer}
	case captcha.HCaptcha:
		return map[string]string{"h-captcha-response": answer}
	}
	return map[string]string{"qq_captcha_ticket": answer, "qq_captcha_randstr": fakeRandstr}
}
