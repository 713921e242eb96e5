package tests

import (
	"strings"
	"testing"
	"time"
)

// seedQuery is the seed request's query after apikey and session_token,
// exactly as LoginRadius SDKs send it.
const seedQuery = "&prevent_webhook=true&g-recaptcha-response=&g_recaptcha_response=" +
	"&h-captcha-response=&qq_captcha_ticket=&qq_captcha_randstr="

func TestSeedPINLoginRequestByteForByteReturnsProfileJWTAndFutureExpiry(t *testing.T) {
	t.Parallel()
	// The production hash cost (no hash line): this is the request the
	// product exists for, so it runs as it would in production.
	g := startGateway(t, func(s *siteConfig) { s.Hash = "" })
	uid := g.createAccount(pin)
	login := g.passwordLogin()
	sessionToken := login.str("session_token")
	if login.status != 200 || sessionToken == "" {
		t.Fatalf("password login: %d %s", login.status, login.raw)
	}

	// The seed request, every byte as a client sends it.
	seed := "POST /identity/v2/auth/login/pin?apikey=" + apiKey + "&session_token=" + sessionToken +
		"&prevent_webhook=true&g-recaptcha-response=&g_recaptcha_response=&h-captcha-response=&qq_captcha_ticket=&qq_captcha_randstr= HTTP/1.1\r\n" +
		"Host: " + g.hostHeader() + "\r\n" +
		"Content-Type: application/json\r\n" +
		"X-PreventWebhook: true\r\n" +
		"Content-Length: 14\r\n" +
		"Connection: close\r\n" +
		"\r\n" +
		`{"pin":"7890"}`
	r := g.raw(seed)
	if r.status != 200 {
		t.Fatalf("seed request: want 200, got %d %s", r.status, r.raw)
	}
	assertLoginResponse(t, r, uid)
	profile := r.object("Profile")
	if n, _ := profile["NoOfLogins"].(float64); n != 2 {
		t.Errorf("NoOfLogins after a password and a PIN login = %v, want 2", profile["NoOfLogins"])
	}
	if profile["LastLoginLocation"] != "127.0.0.1" {
		t.Errorf("LastLoginLocation = %v, want the client IP 127.0.0.1", profile["LastLoginLocation"])
	}
	if len(g.up.requests()) != 0 {
		t.Fatal("an API call reached the upstream")
	}

	t.Run("the apiKey spelling and an upper-case PIN key", func(t *testing.T) {
		g := g.in(t)
		body := `{"PIN":"` + pin + `"}`
		r := g.raw(rawRequest("POST", apiPrefix+"/auth/login/pin?apiKey="+apiKey+"&session_token="+sessionToken+seedQuery,
			g.hostHeader(), []string{"Content-Type: application/json", "X-PreventWebhook: true"}, body))
		if r.status != 200 {
			t.Fatalf("want 200, got %d %s", r.status, r.raw)
		}
		assertLoginResponse(t, r, uid)
	})

	t.Run("the issued access token opens the protected path", func(t *testing.T) {
		g := g.in(t)
		p := g.protected("/app", r.str("access_token"))
		if p.status != 200 || p.raw != upstreamBody {
			t.Fatalf("protected request: %d %s", p.status, p.raw)
		}
		if got := g.up.last(t).Header.Get("X-Auth-Uid"); got != uid {
			t.Fatalf("upstream X-Auth-Uid = %q, want %s", got, uid)
		}
	})
}

// assertLoginResponse checks the shape of a successful login: the account's
// profile, a three-part JWT for it, a refresh token and an RFC 3339
// expires_in in the future.
func assertLoginResponse(t *testing.T, r response, uid string) {
	t.Helper()
	profile := r.object("Profile")
	if profile == nil || profile["Uid"] != uid {
		t.Fatalf("Profile.Uid = %v, want %s: %s", profile["Uid"], uid, r.raw)
	}
	access := r.str("access_token")
	if strings.Count(access, ".") != 2 {
		t.Fatalf("access_token is not a three-part JWT: %q", access)
	}
	_, claims, _, _ := decodeJWT(t, access)
	if claims["sub"] != uid {
		t.Errorf("access token sub = %v, want %s", claims["sub"], uid)
	}
	if r.str("refresh_token") == "" {
		t.Errorf("no refresh_token: %s", r.raw)
	}
	exp, err := time.Parse(time.RFC3339Nano, r.str("expires_in"))
	if err != nil {
		t.Fatalf("expires_in %q is not RFC 3339: %v", r.str("expires_in"), err)
	}
	if !exp.After(time.Now()) {
		t.Errorf("expires_in %s is not in the future", exp)
	}
}
