package pinauth

import (
	"github.com/pinauth/caddy-pinauth/pinauth/operator"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/identityheaders"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// forgedPresetHeaders are every preset's headers, in the spellings a client
// might use to slip one past a gateway that compares names exactly.
var forgedPresetHeaders = []string{
	"Remote-User", "remote_user", "Remote.Email", "REMOTE-GROUPS", "Remote-Name",
	"X-Forwarded-User", "x_forwarded_email", "X-Forwarded-Preferred-Username", "X.Forwarded.Groups",
	"X-Forwarded-Access-Token",
	"X-authentik-username", "x_authentik_groups", "X-Authentik-Uid", "X-authentik-meta-app", "X-authentik-entitlements",
	"X-Auth-Username", "X-Auth-Groups",
}

func TestHeaderPresetsSetTheirHeadersAndEveryPresetsForgedHeadersAreStripped(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		preset string
		want   map[string]string
	}{
		{"", nil},
		{identityheaders.PresetAuthelia, map[string]string{"Remote-User": "alice", "Remote-Email": testEmail, "Remote-Name": "Alice Smith", "Remote-Groups": "user,admin"}},
		{identityheaders.PresetOAuth2Proxy, map[string]string{"X-Forwarded-User": "<uid>", "X-Forwarded-Email": testEmail, "X-Forwarded-Preferred-Username": "alice", "X-Forwarded-Groups": "user,admin"}},
		{identityheaders.PresetAuthentik, map[string]string{"X-Authentik-Username": "alice", "X-Authentik-Email": testEmail, "X-Authentik-Name": "Alice Smith", "X-Authentik-Uid": "<uid>", "X-Authentik-Groups": "user|admin"}},
	} {
		t.Run("preset "+c.preset, func(t *testing.T) {
			t.Parallel()
			env := newTestEnv(t, func(cfg *Config) { cfg.HeaderPreset = c.preset })
			adm := env.gw.Admin()
			login := env.loggedIn(testEmail)
			uid := login.body["Profile"].(map[string]any)["Uid"].(string)
			user := "alice"
			if _, err := adm.UpdateAccount(t.Context(), "demo", uid, operator.AccountInput{Username: &user}); err != nil {
				t.Fatal(err)
			}
			hdr := []string{}
			for _, h := range forgedPresetHeaders {
				hdr = append(hdr, h, "forged")
			}
			// Twice: the second request is served from the caches.
			for range 2 {
				if r := env.protected(login.str("access_token"), hdr...); r.status != 200 {
					t.Fatalf("protected: %d %s", r.status, r.raw)
				}
				got := env.upstream.calls()[len(env.upstream.calls())-1]
				for name, vals := range got {
					for _, v := range vals {
						if v == "forged" {
							t.Errorf("the forged %s reached the upstream", name)
						}
					}
				}
				for name, want := range c.want {
					want = strings.ReplaceAll(want, "<uid>", uid)
					if v := got.Values(name); len(v) != 1 || v[0] != want {
						t.Errorf("%s = %q, want %q", name, v, want)
					}
				}
				if c.preset == "" {
					for _, h := range forgedPresetHeaders {
						if strings.HasPrefix(h, "X-Auth-") {
							continue // the gateway's own headers (default prefix)
						}
						if v := got.Get(h); v != "" {
							t.Errorf("without a preset %s = %q", h, v)
						}
					}
				}
			}
		})
	}
}

func TestHeaderPresetUserFallsBackToEmailThenUID(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, func(c *Config) { c.HeaderPreset = identityheaders.PresetAuthelia })
	err := env.store.Update(t.Context(), func(tx store.Tx) error {
		for _, a := range []store.Account{accountWith("u1", "", ""), accountWith("u2", "a@example.com", ""), accountWith("u3", "c@example.com", "carol")} {
			if err := tx.CreateAccount(a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for uid, want := range map[string]string{"u1": "u1", "u2": "a@example.com", "u3": "carol"} {
		e, _, err := env.gw.profile(t.Context(), "demo", uid)
		if err != nil {
			t.Fatal(err)
		}
		if v := e.Headers.User(); len(v) != 1 || v[0] != want {
			t.Errorf("user of %s = %v, want %s", uid, v, want)
		}
	}
}

// accountWith is an account with just a uid, an email and a username.
func accountWith(uid, email, username string) store.Account {
	a := store.Account{Tenant: "demo", UID: uid, Username: username, Active: true}
	if email != "" {
		a.Emails = []store.Email{{Type: "Primary", Value: email}}
	}
	return a
}
