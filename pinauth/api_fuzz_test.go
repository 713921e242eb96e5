package pinauth

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/notify"
	"github.com/pinauth/caddy-pinauth/pinauth/notifytest"
	"github.com/pinauth/caddy-pinauth/pinauth/ratelimit"
)

// fuzzAPI is the gateway the API fuzz target drives: a real SQLite store,
// one account with a PIN and the tokens of a login, and limits high enough
// that fuzzing never locks the account or the client out (which would stop
// it reaching the handlers' parsing).
type fuzzAPI struct {
	env                                    *testEnv
	uid, access, session, refresh, pinAuth string
	secrets                                []string
}

func newFuzzAPI(f *testing.F) *fuzzAPI {
	// Local SMTP and SMS servers, so the forgot and reset calls go all
	// the way.
	smtpSrv := notifytest.NewSMTPServer(f, notifytest.SMTPOptions{Username: smtpUser, Password: smtpPass})
	smsSrv := notifytest.NewSMSServer(f, smsUser, smsToken)
	env := newTestEnv(f, withQuestions, func(c *Config) {
		c.Lockout = config.LockoutPolicy{Attempts: 1 << 30, Window: time.Minute, Duration: time.Minute}
		c.RateLimit = ratelimit.Policy{Requests: 1 << 30, Window: time.Minute}
		c.Email = &notify.EmailConfig{Addr: smtpSrv.Addr, From: mailFrom, Username: smtpUser, Password: smtpPass, Security: notify.SMTPPlain}
		c.SMS = &notify.SMSConfig{URL: smsSrv.URL, Username: smsUser, Password: smsToken, From: smsFrom}
		c.Tenants[0].AllowedOrigins = []string{appOrigin}
	})
	login := env.loggedIn(testEmail)
	fa := &fuzzAPI{env: env, uid: uidOf(login), access: login.str("access_token"),
		session: login.str("session_token"), refresh: login.str("refresh_token")}
	// An account without a PIN, for the PinAuthToken.
	env.createAccount("nopin@example.com", "")
	if r := env.passwordLogin("nopin@example.com", testPass); r.code() == int(lrerr.CodePINRequired) {
		data, _ := r.body["Data"].(map[string]any)
		fa.pinAuth, _ = data["PINAuthToken"].(string)
	}
	if fa.pinAuth == "" || fa.access == "" || fa.session == "" {
		f.Fatal("the fuzz gateway's setup logins failed")
	}
	fa.secrets = []string{testPepper, testSecret, "$argon2id$", smtpPass, smsToken}
	return fa
}

// FuzzAPIRequest sends arbitrary queries and bodies to every API endpoint,
// with or without the tenant's key, secret and valid tokens. The route is
// named by its path ("auth/login/pin"); any other text picks a route by its
// length, so every endpoint, including ones added later, gets fuzzed. An
// empty method is the route's own. Whatever comes in: no panic, never a
// 5xx, always a JSON body, a LoginRadius error body for every error, and no
// secret in any answer.
func FuzzAPIRequest(f *testing.F) {
	fa := newFuzzAPI(f)
	routes := apiRoutes()
	for _, rt := range routes {
		for _, body := range []string{`{"pin":"4821"}`, `{}`, `{"Email":[{"Value":"a@b.co"}],"Password":"secret pw"}`} {
			f.Add(strings.Join(rt.segments, "/"), "", uint8(0x1f), "", []byte(body))
		}
	}
	f.Add("auth/login/pin", "", uint8(0x0b), "prevent_webhook=true&g-recaptcha-response=", []byte(`{"PIN":"4821"}`))
	f.Add("auth/login", "", uint8(0x01), "", []byte(`{"email":"alice@example.com","password":"correct horse battery"}`))
	f.Add("auth/login", "PATCH", uint8(0x41), "apikey=' OR 1=1 --", []byte(`{"email":"\u0000","password":"\"; DROP TABLE accounts; --"}`))
	f.Fuzz(func(t *testing.T, route, method string, auth uint8, query string, body []byte) {
		rt := routes[len(route)%len(routes)]
		for _, r := range routes {
			if strings.EqualFold(strings.Join(r.segments, "/"), route) {
				rt = r
				break
			}
		}
		if method == "" {
			method = rt.methods[0]
		}
		segs := make([]string, len(rt.segments))
		for i, s := range rt.segments {
			if s == "{uid}" {
				s = fa.uid
			}
			segs[i] = s
		}
		path := "/identity/v2/" + strings.Join(segs, "/")
		if auth&0x80 != 0 {
			path = strings.ToUpper(path)
		}
		q := url.Values{}
		if auth&0x01 != 0 {
			q.Set("apikey", testKey)
		}
		if auth&0x02 != 0 {
			q.Set("apisecret", testSecret)
		}
		if auth&0x08 != 0 {
			q.Set("session_token", fa.session)
			q.Set("pinauthtoken", fa.pinAuth)
			q.Set("refresh_token", fa.refresh)
		}
		raw := q.Encode()
		if query != "" {
			raw += "&" + query
		}
		req := &http.Request{
			Method: method, URL: &url.URL{Path: path, RawQuery: raw}, Header: http.Header{},
			Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
			RemoteAddr: "192.0.2.1:1234", Host: "gw.test",
		}
		req = req.WithContext(t.Context())
		if auth&0x04 != 0 {
			req.Header.Set("Authorization", "Bearer "+fa.access)
		}
		if auth&0x20 == 0 {
			req.Header.Set("Content-Type", "application/json")
		} else if auth&0x40 != 0 {
			req.Header.Set("Content-Type", query)
		}
		w := httptest.NewRecorder()
		if _, ok := fa.env.gw.Handle(w, req); ok {
			t.Fatalf("%s %s: an API request was passed on to the upstream", method, path)
		}
		checkAPIAnswer(t, method+" "+path+"?"+raw, w, fa.secrets)
	})
}

// checkAPIAnswer fails unless w holds a well-formed API answer without
// secrets.
func checkAPIAnswer(t *testing.T, what string, w *httptest.ResponseRecorder, secrets []string) {
	t.Helper()
	if w.Code >= 500 {
		t.Fatalf("%s: status %d: %s", what, w.Code, w.Body)
	}
	raw := w.Body.Bytes()
	for _, s := range secrets {
		if bytes.Contains(raw, []byte(s)) {
			t.Fatalf("%s: the answer contains a secret: %s", what, raw)
		}
	}
	if !json.Valid(raw) {
		t.Fatalf("%s: %d with a body that is not JSON: %q", what, w.Code, raw)
	}
	if w.Code == http.StatusOK {
		return
	}
	var e struct {
		ErrorCode       *int
		Message         string
		Description     string
		IsProviderError *bool
	}
	if err := json.Unmarshal(raw, &e); err != nil || e.ErrorCode == nil || e.Message == "" || e.IsProviderError == nil {
		t.Fatalf("%s: %d without a LoginRadius error body: %s", what, w.Code, raw)
	}
}
