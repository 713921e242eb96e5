package pinauth

import (
	"net/url"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/notifytest"
)

// TestSignUpMailsInTheLanguageTheirTemplateNames: the built-in verification
// (link and code) and welcome sets have German (_de) and French (_fr)
// twins, chosen as every mail's set is, by the call's emailtemplate and
// welcomeemailtemplate; each arrives at the SMTP server in its language,
// subject, text and HTML, still carrying its link or code.
func TestSignUpMailsInTheLanguageTheirTemplateNames(t *testing.T) {
	t.Parallel()
	type words struct{ link, code, welcome, hello, lang string }
	for suffix, w := range map[string]words{
		"":    {"Verify your email address", "Your email verification code", "Welcome", "Hello Alice,", `<html lang="en">`},
		"_de": {"Bestätigen Sie Ihre E-Mail-Adresse", "Ihr Code zur Bestätigung Ihrer E-Mail-Adresse", "Willkommen", "Hallo Alice,", `<html lang="de">`},
		"_fr": {"Confirmez votre adresse e-mail", "Votre code de confirmation d’adresse e-mail", "Bienvenue", "Bonjour Alice,", `<html lang="fr">`},
	} {
		want := func(t *testing.T, what, subject string, em notifytest.Email) {
			t.Helper()
			if em.Subject != subject || !strings.HasPrefix(em.Text, w.hello) || !strings.Contains(em.HTML, w.lang) {
				t.Fatalf("%s%s: subject %q, want %q; text or HTML not in the language:\n%s\n%s", what, suffix, em.Subject, subject, em.Text, em.HTML)
			}
		}
		welcomeQuery := "&welcomeemailtemplate=welcome" + suffix
		t.Run("link"+suffix, func(t *testing.T) {
			t.Parallel()
			e := newResetEnv(t, withRegistration(func(r *config.Registration) { r.Welcome = true }))
			wantOK(t, "register", e.register(signUp(testEmail, ""), "&emailtemplate=email_verification_link"+suffix))
			_, em := e.nthEmail(1)
			want(t, "verification link", w.link, em)
			token := tokenFrom(t, em)
			wantOK(t, "verify", e.do("GET", api("auth/email")+"&verificationtoken="+url.QueryEscape(token)+welcomeQuery, nil))
			_, em = e.nthEmail(2)
			want(t, "welcome", w.welcome, em)
		})
		t.Run("code"+suffix, func(t *testing.T) {
			t.Parallel()
			e := newResetEnv(t, withRegistration(func(r *config.Registration) {
				r.Welcome, r.VerificationEmail, r.VerificationURL = true, config.PINResetByOTP, ""
			}))
			wantOK(t, "register", e.register(signUp(testEmail, ""), "&emailtemplate=email_verification_otp"+suffix))
			_, em := e.nthEmail(1)
			want(t, "verification code", w.code, em)
			code := codeFrom(t, em.Text)
			wantOK(t, "verify", e.do("PUT", api("auth/email")+welcomeQuery, map[string]string{"email": testEmail, "otp": code}))
			_, em = e.nthEmail(2)
			want(t, "welcome", w.welcome, em)
		})
	}
}
