package pinauth

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
)

// TestLoginPageSignUpCodeSaysTheTriesLeft: a wrong code on the "check
// your email" page says, next to the field and in the page's language,
// how many tries the account has left before the lockout, counted as the
// PIN pad and the password form count them; the wrong code that locks the
// account says the lock in the alert instead, and the right code is then
// refused.
func TestLoginPageSignUpCodeSaysTheTriesLeft(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		lang, one, other, lock string
	}{
		{"en", "That code is not right. Please check it and try again. You have 1 more try before your account is locked.",
			"That code is not right. Please check it and try again. You have 2 more tries before your account is locked.",
			"Too many wrong attempts: your account is locked for "},
		{"de", "Dieser Code stimmt nicht. Bitte prüfen Sie ihn und versuchen Sie es erneut. Sie haben noch 1 Versuch, bevor Ihr Konto gesperrt wird.",
			"Dieser Code stimmt nicht. Bitte prüfen Sie ihn und versuchen Sie es erneut. Sie haben noch 2 Versuche, bevor Ihr Konto gesperrt wird.",
			"Zu viele falsche Versuche: Ihr Konto ist für "},
		{"fr", "Ce code est incorrect. Veuillez le vérifier et réessayer. Il vous reste 1 essai avant le blocage de votre compte.",
			"Ce code est incorrect. Veuillez le vérifier et réessayer. Il vous reste 2 essais avant le blocage de votre compte.",
			"Trop de tentatives erronées : votre compte est bloqué pendant "},
	} {
		t.Run(c.lang, func(t *testing.T) {
			t.Parallel()
			e := newResetEnv(t, withLoginPage(), withRegistration(byCode), func(c *Config) { c.Lockout.Attempts = 3 })
			b := newBrowser(t, e.testEnv)
			b.host = pageHost
			sent, code := signUpByCode(t, e, b, 1)
			uid := e.accountOf(testEmail).UID
			b.lang = c.lang
			first := b.submit(codeForm(t, sent), "/login/verifycode", "otp", wrongCode(code))
			if first.status != 403 || first.fieldErrorOf("otp") != c.other || first.alert() != c.other {
				t.Fatalf("first wrong code: %d field %q alert %q", first.status, first.fieldErrorOf("otp"), first.alert())
			}
			second := b.submit(codeForm(t, first), "/login/verifycode", "otp", wrongCode(code))
			if second.status != 403 || second.fieldErrorOf("otp") != c.one {
				t.Fatalf("second wrong code: %d %q", second.status, second.fieldErrorOf("otp"))
			}
			last := b.submit(codeForm(t, second), "/login/verifycode", "otp", wrongCode(code))
			if last.status != 403 || !strings.HasPrefix(last.alert(), c.lock) || last.fieldErrorOf("otp") != "" {
				t.Fatalf("the wrong code that locks: %d alert %q field %q", last.status, last.alert(), last.fieldErrorOf("otp"))
			}
			if a := e.attempts(uid); a.Failures != 3 || !a.Locked(e.clock.Now()) {
				t.Fatalf("after 3 wrong codes: %+v, want 3 failures and a lock", a)
			}
			right := b.submit(codeForm(t, last), "/login/verifycode", "otp", code)
			if right.status != 403 || !strings.HasPrefix(right.alert(), c.lock) || e.account(uid).EmailVerified {
				t.Fatalf("the right code on the locked account: %d %q", right.status, right.alert())
			}
		})
	}
}

// csrfValueRE matches the CSRF tokens of a page, which differ on every
// page served.
var csrfValueRE = regexp.MustCompile(`name="csrf" value="[^"]*"`)

// TestLoginPageCodeTriesLeftSameForAnUnknownAddress: the code form of an
// address no account awaits (reached by the resend, which answers alike
// for every address) says the same tries left and the same lock, with
// the same status, as an address awaiting verification: the pages differ
// by the address and the CSRF tokens only.
func TestLoginPageCodeTriesLeftSameForAnUnknownAddress(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, withLoginPage(), withRegistration(byCode), func(c *Config) { c.Lockout.Attempts = 3 })
	e.signUpQuietly(testEmail)
	const unknown = "nobody@example.com"
	journey := func(addr string) []page {
		b := newBrowser(t, e.testEnv)
		b.host = pageHost
		form := b.get("/login/resend?email=" + url.QueryEscape(addr))
		resent := b.submit(form, "/login/resend", "email", addr)
		if resent.status != 200 || !strings.Contains(resent.body, "we have sent it a new code") {
			t.Fatalf("resend to %s: %d %q", addr, resent.status, resent.alert())
		}
		pages := []page{resent}
		for i := 0; i < 3; i++ {
			pages = append(pages, b.submit(codeForm(t, pages[len(pages)-1]), "/login/verifycode", "otp", "000000"))
		}
		for i, p := range pages {
			p.body = csrfValueRE.ReplaceAllString(strings.ReplaceAll(p.body, addr, "ADDRESS"), `name="csrf" value=""`)
			pages[i] = p
		}
		return pages
	}
	known, nobody := journey(testEmail), journey(unknown)
	if got := known[1].fieldErrorOf("otp"); got != "That code is not right. Please check it and try again. You have 2 more tries before your account is locked." {
		t.Fatalf("the known address's first wrong code: %q", got)
	}
	if got := known[2].fieldErrorOf("otp"); !strings.HasSuffix(got, " You have 1 more try before your account is locked.") {
		t.Fatalf("the known address's second wrong code: %q", got)
	}
	if got := known[3].alert(); !strings.HasPrefix(got, "Too many wrong attempts: your account is locked for ") {
		t.Fatalf("the known address's last wrong code: %q", got)
	}
	for i := range known {
		if known[i].status != nobody[i].status || known[i].body != nobody[i].body {
			t.Fatalf("step %d differs for an unknown address: %d %q vs %d %q\nknown:\n%s\nunknown:\n%s", i,
				known[i].status, known[i].alert(), nobody[i].status, nobody[i].alert(), known[i].body, nobody[i].body)
		}
	}
}

// TestLoginPageCodeOfAnAddedAddressSaysTheTriesLeft: an address a
// signed-in account added (POST /auth/email) awaits its code without
// being an identifier; a wrong code for it on the page counts toward
// that account's lockout, and the page reads that count, not the one of
// an address nobody has.
func TestLoginPageCodeOfAnAddedAddressSaysTheTriesLeft(t *testing.T) {
	t.Parallel()
	// allow_unverified: the account logs in to add the address.
	e := newResetEnv(t, withLoginPage(), withRegistration(byCode, func(r *config.Registration) { r.AllowUnverified = true }),
		func(c *Config) { c.Lockout.Attempts = 3 })
	login := e.loggedIn(testEmail)
	uid := uidOf(login)
	const added = "second@example.com"
	wantOK(t, "add an address", e.do("POST", api("auth/email"), map[string]string{"email": added, "type": "Secondary"},
		"Authorization", "Bearer "+login.str("access_token")))
	b := newBrowser(t, e.testEnv)
	b.host = pageHost
	page := b.get("/login/resend?email=" + url.QueryEscape(added))
	wrong := b.submit(codeForm(t, page), "/login/verifycode", "otp", "000000")
	if want := "That code is not right. Please check it and try again. You have 2 more tries before your account is locked."; wrong.status != 403 || wrong.fieldErrorOf("otp") != want {
		t.Fatalf("a wrong code for an added address: %d %q, want %q", wrong.status, wrong.fieldErrorOf("otp"), want)
	}
	if n := e.attempts(uid).Failures; n != 1 {
		t.Fatalf("the account's failures after a wrong code for its added address: %d, want 1", n)
	}
}
