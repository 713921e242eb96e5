package notify

import (
	"net/url"
	"testing"
)

func TestResetLinkOriginsMatchExactly(t *testing.T) {
	t.Parallel()
	allowed := []string{"https://app.example.com", "http://[::1]:8080/", "https://other.example.com:8443"}
	for raw, ok := range map[string]bool{
		"https://app.example.com/reset":          true,
		"https://app.example.com:443/reset":      true,
		"HTTPS://App.Example.COM/reset?x=1#y":    true,
		"http://[::1]:8080/r":                    true,
		"https://other.example.com:8443/":        true,
		"https://other.example.com/":             false,
		"http://app.example.com/reset":           false,
		"https://app.example.com:4443/reset":     false,
		"https://app.example.com.evil.com/reset": false,
		"https://user@app.example.com/reset":     false,
		"ftp://app.example.com/reset":            false,
		"https:app.example.com/reset":            false,
		"https://app.example.com/\t":             false,
		"":                                       false,
	} {
		if _, err := LinkBase(allowed, raw); (err == nil) != ok {
			t.Errorf("LinkBase(%q): err %v, want allowed %v", raw, err, ok)
		}
	}
	base, _ := LinkBase(allowed, "https://app.example.com/reset?lang=de&vtoken=forged#top")
	got := Link(base, LinkTypePIN, "tok")
	u, _ := url.Parse(got)
	if q := u.Query(); q.Get("vtoken") != "tok" || q.Get("vtype") != "resetpin" || q.Get("lang") != "de" || len(q["vtoken"]) != 1 || u.Fragment != "top" {
		t.Errorf("Link = %s", got)
	}
}
