package pinauth

import (
	"encoding/json"
	"github.com/pinauth/caddy-pinauth/pinauth/operator"
	"net/mail"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/identityheaders"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/lrimport"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// twinSpellings are strings a mail library reads as alice@example.com (or
// as an address list holding it) that are not the bare address.
var twinSpellings = []string{
	"<alice@example.com>",
	"x:alice@example.com;",
	"Alice <alice@example.com>",
	`"Alice" <alice@example.com>`,
	"alice@example.com (Alice)",
	"(comment)alice@example.com",
	"alice(comment)@example.com",
	`"alice"@example.com`,
	`"alice@example.com"@evil.example`,
	`"a\"lice"@example.com`,
	"alice@[127.0.0.1]",
	"alice@example.com,bob@example.com",
	"alice@example.com;",
	"alice@@example.com",
	"alice@example.com.",
	"mailto:alice@example.com",
}

func TestCanonicalEmailAcceptsOnlyABareAddrSpec(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{"alice@example.com", "alice@example.com"},
		{"  Alice.Smith@EXAMPLE.Com ", "Alice.Smith@example.com"},
		{"o'reilly+1=1--@example.com", "o'reilly+1=1--@example.com"},
		{"a!#$%&'*+-/=?^_`{|}~z@example.com", "a!#$%&'*+-/=?^_`{|}~z@example.com"},
		{"alice@xn--bcher-kva.example", "alice@xn--bcher-kva.example"},
		{"alice@mail-1.example.co.uk", "alice@mail-1.example.co.uk"},
		{"a@b.c", "a@b.c"},
		{strings.Repeat("a", 64) + "@example.com", strings.Repeat("a", 64) + "@example.com"},
	} {
		got, ok := lrprofile.CanonicalEmail(c.in)
		if !ok || got != c.want {
			t.Errorf("CanonicalEmail(%q) = %q, %v; want %q", c.in, got, ok, c.want)
		}
	}
	refused := append([]string{
		"", "alice", "@example.com", "alice@", "alice@example", ".alice@example.com", "alice.@example.com",
		"al..ice@example.com", "alice@-example.com", "alice@example-.com", "alice@example..com",
		"alice@.example.com", "alice@127.0.0.1", "alice@example.123", "alice@exa_mple.com",
		"al ice@example.com", "alice@exam ple.com", "alice\\@example.com",
		strings.Repeat("a", 65) + "@example.com",
		"alice@" + strings.Repeat("a", 64) + ".com",
		"alice@" + strings.Repeat("abcdefghi.", 25) + "com",
		"\u0430lice@example.com", "alice\uFF20example.com",
	}, twinSpellings...)
	for _, s := range refused {
		if got, ok := lrprofile.CanonicalEmail(s); ok {
			t.Errorf("CanonicalEmail(%q) = %q, accepted", s, got)
		}
	}
}

// FuzzCanonicalEmail checks that whatever CanonicalEmail accepts, Go's
// mail parser reads as exactly that one address: no display name, group,
// comment or quoting can hide another address inside.
func FuzzCanonicalEmail(f *testing.F) {
	for _, s := range twinSpellings {
		f.Add(s)
	}
	f.Add("Alice.Smith@EXAMPLE.Com")
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := lrprofile.CanonicalEmail(s)
		if !ok {
			return
		}
		if again, ok := lrprofile.CanonicalEmail(got); !ok || again != got {
			t.Fatalf("CanonicalEmail(%q) = %q, whose canonical form is %q, %v", s, got, again, ok)
		}
		list, err := mail.ParseAddressList(got)
		if err != nil || len(list) != 1 || list[0].Name != "" || list[0].Address != got {
			t.Fatalf("CanonicalEmail accepted %q, which net/mail reads as %v (%v)", got, list, err)
		}
	})
}

// TestTwinAddressesAreRefusedOnEveryWritePathAndNeverLogIn is finding 13
// of issue 15: `<alice@example.com>` and `x:alice@example.com;` were
// accepted as new accounts next to alice@example.com, reached apps in
// X-Auth-Email and had their mail delivered to alice's mailbox.
func TestTwinAddressesAreRefusedOnEveryWritePathAndNeverLogIn(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	e.loggedIn(testEmail)
	bob := e.createAccount("bob@example.com", testPIN)
	manage := "?apikey=" + testKey + "&apisecret=" + testSecret
	adm := e.gw.Admin()
	pw := testPass
	for _, twin := range twinSpellings {
		emails := []map[string]string{{"Type": "Primary", "Value": twin}}
		wantFieldError(t, "create "+twin, e.do("POST", "/identity/v2/manage/account"+manage, map[string]any{"Email": emails, "Password": testPass}), "Email")
		wantFieldError(t, "update bob to "+twin, e.do("PUT", "/identity/v2/manage/account/"+bob+manage, map[string]any{"Email": emails}), "Email")
		_, err := adm.CreateAccount(t.Context(), "demo", operator.AccountInput{Emails: []store.Email{{Value: twin}}, Password: &pw})
		wantAdminFieldError(t, "Admin create (the CLI) "+twin, err, "Email")
		_, err = adm.UpdateAccount(t.Context(), "demo", bob, operator.AccountInput{Emails: []store.Email{{Value: twin}}})
		wantAdminFieldError(t, "Admin update (the CLI) "+twin, err, "Email")
		rec, _ := json.Marshal(map[string]any{"Uid": "twin", "Email": twin})
		sum, err := adm.ImportLoginRadius(t.Context(), "demo", strings.NewReader(string(rec)), lrimport.Options{})
		if err != nil || sum.Failed != 1 || len(sum.Failures) != 1 || !strings.Contains(sum.Failures[0].Reason, "Email") {
			t.Errorf("import %s: %+v, %v; want the record failed on Email", twin, sum, err)
		}
		// A login with it finds no account, not even alice's.
		if r := e.passwordLogin(twin, testPass); r.status != 401 || r.code() != int(lrerr.CodeBadCredentials) {
			t.Errorf("login as %s with alice's password: %d %s, want 401/966", twin, r.status, r.raw)
		}
	}
	if n, err := e.store.CountAccounts(t.Context(), "demo"); n != 2 || err != nil {
		t.Errorf("%d accounts (%v), want alice and bob only", n, err)
	}
	if a, _, _ := e.store.Account(t.Context(), "demo", bob); a.PrimaryEmail() != "bob@example.com" {
		t.Errorf("bob's email became %q", a.PrimaryEmail())
	}

	// The canonical form: domain lower-cased, local part kept for
	// display; uniqueness and login ignore case in both.
	r := e.do("POST", "/identity/v2/manage/account"+manage, map[string]any{
		"Email": []map[string]string{{"Value": " Carol.X@EXAMPLE.Org "}}, "Password": testPass})
	if r.status != 200 || !strings.Contains(r.raw, `"Value":"Carol.X@example.org"`) {
		t.Errorf("create with a mixed-case domain: %d %s, want it stored as Carol.X@example.org", r.status, r.raw)
	}
	r = e.do("POST", "/identity/v2/manage/account"+manage, map[string]any{
		"Email": []map[string]string{{"Value": "carol.x@example.ORG"}}, "Password": testPass})
	if r.status != 403 || r.code() != int(lrerr.CodeEmailTaken) {
		t.Errorf("the same address in other case: %d %s, want 936", r.status, r.raw)
	}
	if r := e.passwordLogin("ALICE@Example.COM", testPass); r.status != 200 {
		t.Errorf("alice in upper case: %d %s", r.status, r.raw)
	}
}

// TestAStoredTwinAddressNeverReachesTheUpstream: an account that holds a
// twin spelling from before keeps reaching the upstream, but without it
// in X-Auth-Email or the preset's headers.
func TestAStoredTwinAddressNeverReachesTheUpstream(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, func(c *Config) { c.HeaderPreset = identityheaders.PresetAuthelia })
	login := e.loggedIn(testEmail)
	uid := e.uidOf(testEmail)
	e.writeAround(uid, func(a *store.Account) { a.Emails = []store.Email{{Type: "Primary", Value: "<bob@example.com>"}} })
	if r := e.protected(login.str("access_token")); r.status != 200 {
		t.Fatalf("protected request: %d %s", r.status, r.raw)
	}
	got := e.upstream.calls()[len(e.upstream.calls())-1]
	for _, name := range []string{"X-Auth-Email", "Remote-Email"} {
		if v, ok := got[name]; ok {
			t.Errorf("the upstream got %s: %q", name, v)
		}
	}
	if got.Get("Remote-User") != uid {
		t.Errorf("Remote-User = %q, want the Uid (no user name, and the email is left out)", got.Get("Remote-User"))
	}
}
