package tests

import (
	"strings"
	"testing"
)

// forgedPresetSpellings are every header preset's identity headers as an
// attacker would send them (raw bytes, so the spellings survive).
var forgedPresetSpellings = []string{
	"Remote-User: attacker", "remote_user: attacker", "Remote.Email: attacker@evil.test",
	"REMOTE-GROUPS: admins", "Remote-Name: attacker",
	"X-Forwarded-User: attacker", "X_Forwarded_Email: attacker@evil.test",
	"X-Forwarded-Preferred-Username: attacker", "x.forwarded.groups: admins", "X-Forwarded-Access-Token: forged",
	"X-authentik-username: attacker", "x_authentik_groups: admins", "X-Authentik-Uid: attacker",
	"X-authentik-meta-app: attacker", "X-authentik-entitlements: admins",
}

// presetHeaderNames are the header names of every preset, for checks.
var presetHeaderNames = []string{
	"Remote-User", "Remote-Email", "Remote-Groups", "Remote-Name",
	"X-Forwarded-User", "X-Forwarded-Email", "X-Forwarded-Preferred-Username", "X-Forwarded-Groups",
	"X-Forwarded-Access-Token",
	"X-Authentik-Username", "X-Authentik-Email", "X-Authentik-Name", "X-Authentik-Uid", "X-Authentik-Groups",
	"X-Authentik-Meta-App", "X-Authentik-Entitlements",
}

func TestHeaderPresetsGiveTheUpstreamTheirHeadersAndNoForgedOnes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		preset string
		want   map[string]string // "<uid>" stands for the account's Uid
	}{
		{"authelia", map[string]string{"Remote-User": username, "Remote-Email": email, "Remote-Name": "Alice Smith", "Remote-Groups": "user,admin"}},
		{"oauth2-proxy", map[string]string{"X-Forwarded-User": "<uid>", "X-Forwarded-Email": email, "X-Forwarded-Preferred-Username": username, "X-Forwarded-Groups": "user,admin"}},
		{"authentik", map[string]string{"X-Authentik-Username": username, "X-Authentik-Email": email, "X-Authentik-Name": "Alice Smith", "X-Authentik-Uid": "<uid>", "X-Authentik-Groups": "user|admin"}},
	} {
		t.Run(c.preset, func(t *testing.T) {
			t.Parallel()
			g := startGateway(t, func(s *siteConfig) { s.Extra = "header_preset " + c.preset + "\npublic /healthz" })
			login, uid := g.loggedIn()
			headers := append([]string{"Authorization: Bearer " + login.str("access_token")}, forgedPresetSpellings...)
			r := g.raw(rawRequest("GET", "/app/admin", g.hostHeader(), headers, ""))
			if r.status != 200 || r.raw != upstreamBody {
				t.Fatalf("protected request: %d %s", r.status, r.raw)
			}
			got := g.up.last(t).Header
			for name, want := range c.want {
				want = strings.ReplaceAll(want, "<uid>", uid)
				if v := got.Values(name); len(v) != 1 || v[0] != want {
					t.Errorf("upstream %s = %q, want only %q", name, v, want)
				}
			}
			for name, vals := range got {
				for _, v := range vals {
					if strings.Contains(v, "attacker") || v == "admins" || v == "forged" {
						t.Errorf("a forged value reached the upstream: %s: %s", name, v)
					}
				}
			}
			if v := got.Get("X-Auth-Uid"); v != uid {
				t.Errorf("the preset replaced the X-Auth- headers: X-Auth-Uid = %q", v)
			}

			// Anonymous on a public path: none of them at all.
			r = g.raw(rawRequest("GET", "/healthz", g.hostHeader(), forgedPresetSpellings, ""))
			if r.status != 200 {
				t.Fatalf("public path: %d %s", r.status, r.raw)
			}
			last := g.up.last(t)
			for _, name := range presetHeaderNames {
				if v := last.Header.Values(name); len(v) > 0 {
					t.Errorf("anonymous request: the upstream got %s: %q", name, v)
				}
			}
		})
	}
}

func TestWithoutAPresetEveryPresetsForgedHeadersAreStillStripped(t *testing.T) {
	t.Parallel()
	g := startGateway(t)
	login, _ := g.loggedIn()
	headers := append([]string{"Authorization: Bearer " + login.str("access_token")}, forgedPresetSpellings...)
	r := g.raw(rawRequest("GET", "/app/x", g.hostHeader(), headers, ""))
	if r.status != 200 {
		t.Fatalf("protected request: %d %s", r.status, r.raw)
	}
	got := g.up.last(t).Header
	for _, name := range presetHeaderNames {
		if v := got.Values(name); len(v) > 0 {
			t.Errorf("the upstream got %s: %q", name, v)
		}
	}
}
