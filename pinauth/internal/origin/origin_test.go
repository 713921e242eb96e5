package origin

import (
	"net/url"
	"testing"
)

func TestOfLowerCasesAndMakesTheDefaultPortExplicit(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"https://app.example.com/x":     "https://app.example.com:443",
		"HTTPS://App.Example.COM:443/x": "https://app.example.com:443",
		"http://localhost":              "http://localhost:80",
		"http://localhost:3000/":        "http://localhost:3000",
		"http://[::1]:8080/r":           "http://[::1]:8080",
		"https://[::1]/":                "https://[::1]:443",
		"ftp://app.example.com/":        "",
		"https:app.example.com":         "",
		"/relative":                     "",
		"https://:443/":                 "",
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := Of(u)
		if ok != (want != "") || got != want {
			t.Errorf("Of(%q) = %q, %v; want %q", raw, got, ok, want)
		}
	}
}

func TestAllowedComparesOriginsNotSpellings(t *testing.T) {
	t.Parallel()
	allowed := []string{"https://app.example.com", "http://[::1]:8080/", "https://other.example.com:8443",
		"https://path.example.com/app", "https://user@creds.example.com", "https://query.example.com?x", "::bad"}
	for raw, want := range map[string]bool{
		"https://app.example.com/reset":         true,
		"https://app.example.com:443/reset":     true,
		"HTTPS://App.Example.COM/reset?x=1#y":   true,
		"http://[::1]:8080/r":                   true,
		"https://other.example.com:8443/":       true,
		"https://other.example.com/":            false,
		"http://app.example.com/reset":          false,
		"https://app.example.com:4443/reset":    false,
		"https://app.example.com.evil.com/":     false,
		"https://path.example.com/app":          false,
		"https://creds.example.com/":            false,
		"https://query.example.com/":            false,
		"ftp://app.example.com/reset":           false,
		"https://evil.com#@app.example.com":     false,
		"https://app.example.com@evil.com/x":    false,
		"https://evil.com/?https://app.example": false,
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := Allowed(allowed, u); got != want {
			t.Errorf("Allowed(%q) = %v, want %v", raw, got, want)
		}
	}
}

func TestHasUnsafeByteFindsControlsSpacesAndBackslashes(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"https://app.example.com/x?y=1#z": false,
		"/caf%C3%A9":                      false,
		"/café":                           false,
		"/a b":                            true,
		"/a\tb":                           true,
		"/a\x00":                          true,
		"/a\x7f":                          true,
		"/\\evil.com":                     true,
		"/a\r\nLocation: x":               true,
	} {
		if got := HasUnsafeByte(s); got != want {
			t.Errorf("HasUnsafeByte(%q) = %v, want %v", s, got, want)
		}
	}
}
