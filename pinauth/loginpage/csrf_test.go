package loginpage

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestSameOriginIgnoresOnlyDefaultPorts: an Origin and a Host that differ
// only by the scheme's default port are one origin; any other difference
// is another.
func TestSameOriginIgnoresOnlyDefaultPorts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		host, origin string
		same         bool
	}{
		{"auth.example.com", "https://auth.example.com", true},
		{"auth.example.com:443", "https://auth.example.com", true},
		{"auth.example.com", "https://auth.example.com:443", true},
		{"auth.example.com", "http://auth.example.com:80", true},
		{"AUTH.example.com", "https://auth.example.com", true},
		{"auth.example.com", "https://auth.example.com:8443", false},
		{"auth.example.com:80", "https://auth.example.com", false},
		{"auth.example.com", "https://app.example.com", false},
		{"auth.example.com", "https://auth.example.com.evil.example", false},
		{"auth.example.com", "null", false},
	} {
		r := httptest.NewRequest("POST", "http://"+tc.host+"/login", nil)
		r.Host = tc.host
		r.Header.Set("Origin", tc.origin)
		if got := sameOrigin(r); got != tc.same {
			t.Errorf("Host %s, Origin %s: same origin %v, want %v", tc.host, tc.origin, got, tc.same)
		}
	}
}

// TestCSRFTokenOfAnotherFormIsRefused: a token is bound to its form, so
// the PIN pad's token for this browser's nonce does not post the password
// form, while the password form's own token does.
func TestCSRFTokenOfAnotherFormIsRefused(t *testing.T) {
	t.Parallel()
	p := newTestPage(t)
	w := httptest.NewRecorder()
	nonce := p.rotateNonce(w)
	post := func(token string) bool {
		form := url.Values{"identifier": {"a@example.com"}, "password": {"pw"}, csrfField: {token}}
		r := httptest.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Cookie", p.cookie.csrf+"="+nonce)
		if err := r.ParseForm(); err != nil {
			t.Fatal(err)
		}
		return p.csrfValid(r, formPassword)
	}
	if post(p.csrfToken(nonce, formPIN, "")) {
		t.Fatal("the PIN pad's token posted the password form")
	}
	if !post(p.csrfToken(nonce, formPassword, "")) {
		t.Fatal("the password form's own token was refused")
	}
}
