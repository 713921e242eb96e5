package loginpage

import (
	"strings"
	"testing"
)

// TestSafeReturnCannotRedirectElsewhere: a return target is a path on
// this site or a URL of an allowed origin, however it is spelt; anything
// else becomes "/".
func TestSafeReturnCannotRedirectElsewhere(t *testing.T) {
	t.Parallel()
	p := newTestPage(t, "https://app.example.com", "http://localhost:3000/")
	cases := []struct{ in, want string }{
		{"", "/"},
		{"/", "/"},
		{"/app", "/app"},
		{"/app/data?x=1&y=%2F#frag", "/app/data?x=1&y=%2F#frag"},
		{"/caf%C3%A9", "/caf%C3%A9"},
		{"https://app.example.com/dash?q=1", "https://app.example.com/dash?q=1"},
		{"HTTPS://APP.EXAMPLE.COM/x", "HTTPS://APP.EXAMPLE.COM/x"},
		{"http://localhost:3000/x", "http://localhost:3000/x"},
		// Other hosts, however spelt.
		{"//evil.com", "/"},
		{"///evil.com", "/"},
		{"/\\evil.com", "/"},
		{"\\\\evil.com", "/"},
		{"/\\/evil.com", "/"},
		{"%2F%2Fevil.com", "/"},
		{"/%2F%2Fevil.com", "/"},
		{"/%2f%2fevil.com", "/"},
		{"%2F%5Cevil.com", "/"},
		{"/%5Cevil.com", "/"},
		{"/%5cevil.com", "/"},
		{"/%252F%252Fevil.com", "/"},
		{"/%25252F%25252Fevil.com", "/"},
		{"/%255Cevil.com", "/"},
		{"https://evil.com", "/"},
		{"http://app.example.com/x", "/"},
		{"https://app.example.com.evil.com/", "/"},
		{"https://app.example.com@evil.com/", "/"},
		{"https://user:pw@app.example.com/", "/"},
		{"https://evil.com#@app.example.com", "/"},
		{"https://evil.com\\@app.example.com", "/"},
		{"https:evil.com", "/"},
		{"https:/evil.com", "/"},
		{"http:\\\\evil.com", "/"},
		{"evil.com", "/"},
		{"app", "/"},
		{"javascript:alert(1)", "/"},
		{"JaVaScRiPt:alert(1)", "/"},
		{"java\tscript:alert(1)", "/"},
		{"/%0D%0ALocation:%20https://evil.com", "/"},
		{"data:text/html,<script>alert(1)</script>", "/"},
		{"/\t/evil.com", "/"},
		{"/\n/evil.com", "/"},
		{"/\x00", "/"},
		{"/%00", "/"},
		{"/%7f", "/"},
		{" /app", "/"},
		{"/ /evil.com", "/"},
		{"/%GG", "/"},
		{"/login", "/"},
		{"/login/pin", "/"},
		{"/" + strings.Repeat("a", 3000), "/"},
	}
	for _, tc := range cases {
		if got := p.safeReturn(tc.in); got != tc.want {
			t.Errorf("safeReturn(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
