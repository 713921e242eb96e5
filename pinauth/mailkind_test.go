package pinauth

import (
	"net/url"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
)

// TestAVerificationMailNamingASetOfTheOtherKindStillCarriesItsCodeOrLink:
// sets are named freely, so an app may name a link set on a tenant that
// mails codes, or the reverse. The set would render with an empty link or
// no code, and the user could not verify; the call gets the built-in set
// of the named set's language instead, and the mail works.
func TestAVerificationMailNamingASetOfTheOtherKindStillCarriesItsCodeOrLink(t *testing.T) {
	t.Parallel()
	t.Run("a code tenant naming a German link set", func(t *testing.T) {
		t.Parallel()
		e := newResetEnv(t, withRegistration(func(r *config.Registration) {
			r.VerificationEmail, r.VerificationURL = config.PINResetByOTP, ""
		}))
		wantOK(t, "register", e.register(signUp(testEmail, ""), "&emailtemplate=email_verification_link_de"))
		_, em := e.nthEmail(1)
		if em.Subject != "Ihr Code zur Bestätigung Ihrer E-Mail-Adresse" || strings.Contains(em.Text, "vtoken") {
			t.Fatalf("want the German code mail, got %q:\n%s", em.Subject, em.Text)
		}
		code := codeFrom(t, em.Text)
		if !strings.Contains(em.HTML, code) {
			t.Fatalf("the HTML part lacks the code:\n%s", em.HTML)
		}
		wantOK(t, "verify by the code", e.do("PUT", api("auth/email"), map[string]string{"email": testEmail, "otp": code}))
	})
	t.Run("a link tenant naming a code set", func(t *testing.T) {
		t.Parallel()
		e := newResetEnv(t, withRegistration())
		wantOK(t, "register", e.register(signUp(testEmail, ""), "&emailtemplate=email_verification_otp"))
		_, em := e.nthEmail(1)
		if em.Subject != "Verify your email address" {
			t.Fatalf("want the link mail, got %q:\n%s", em.Subject, em.Text)
		}
		wantOK(t, "verify by the link's token", e.verifyByToken(tokenFrom(t, em)))
	})
}

// TestForgotPINByEmailNamingASetOfTheOtherKindStillCarriesItsCodeOrLink:
// the forgot-PIN and forgot-password mails likewise get the built-in set
// when the named one cannot carry their secret, and a custom set that can
// is still used.
func TestForgotPINByEmailNamingASetOfTheOtherKindStillCarriesItsCodeOrLink(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t,
		"brand_code.subject.txt", "Brand code", "brand_code.txt", "Your code: {{.OTP}}",
		"brand_link.subject.txt", "Brand link", "brand_link.txt", "Open {{.Link}}",
	)
	t.Run("a code tenant", func(t *testing.T) {
		t.Parallel()
		e := newResetEnv(t, func(c *Config) {
			c.Tenants[0].PINResetEmail = config.PINResetByOTP
			c.Tenants[0].MessageTemplates = dir
		})
		e.createAccount(testEmail, testPIN)
		wantOK(t, "forgot naming the link set", e.forgot("email", map[string]string{"email": testEmail}, "&emailtemplate=pin_reset_link"))
		_, em := e.nthEmail(1)
		if em.Subject != "Your PIN reset code" || strings.Contains(em.Text, "vtoken") {
			t.Fatalf("want the code mail, got %q:\n%s", em.Subject, em.Text)
		}
		wantOK(t, "reset by the code", e.resetByOTP("email", testEmail, codeFrom(t, em.Text), newTestPIN))

		wantOK(t, "forgot naming a custom link set", e.forgot("email", map[string]string{"email": testEmail}, "&emailtemplate=brand_link"))
		if _, em = e.nthEmail(2); em.Subject != "Your PIN reset code" {
			t.Fatalf("want the code mail, got %q:\n%s", em.Subject, em.Text)
		}
		wantOK(t, "forgot naming a custom code set", e.forgot("email", map[string]string{"email": testEmail}, "&emailtemplate=brand_code"))
		if _, em = e.nthEmail(3); em.Subject != "Brand code" {
			t.Fatalf("want the custom code set, got %q:\n%s", em.Subject, em.Text)
		}
		wantOK(t, "reset by the custom set's code", e.resetByOTP("email", testEmail, codeFrom(t, em.Text), otherPINNew))
		e.wantPIN(testEmail, otherPINNew, newTestPIN)
	})
	t.Run("a link tenant", func(t *testing.T) {
		t.Parallel()
		e := newResetEnv(t, func(c *Config) { c.Tenants[0].MessageTemplates = dir })
		e.createAccount(testEmail, testPIN)
		link := "&resetpinurl=" + url.QueryEscape(resetPage)
		wantOK(t, "forgot naming the code set", e.forgot("email", map[string]string{"email": testEmail}, link+"&emailtemplate=pin_reset_otp"))
		_, em := e.nthEmail(1)
		if em.Subject != "Reset your PIN" {
			t.Fatalf("want the link mail, got %q:\n%s", em.Subject, em.Text)
		}
		wantOK(t, "reset by the link's token", e.resetByToken(tokenFrom(t, em), newTestPIN))

		wantOK(t, "forgot password naming a code set",
			e.forgotPassword(testEmail, "&emailtemplate=brand_code&resetpasswordurl="+url.QueryEscape(resetPasswordPage)))
		if _, em = e.nthEmail(2); em.Subject != "Reset your password" {
			t.Fatalf("want the password link mail, got %q:\n%s", em.Subject, em.Text)
		}
		tokenFrom(t, em)
		wantOK(t, "forgot naming a custom link set", e.forgot("email", map[string]string{"email": testEmail}, link+"&emailtemplate=brand_link"))
		if _, em = e.nthEmail(3); em.Subject != "Brand link" {
			t.Fatalf("want the custom link set, got %q:\n%s", em.Subject, em.Text)
		}
		wantOK(t, "reset by the custom set's link", e.resetByToken(tokenFrom(t, em), otherPINNew))
		e.wantPIN(testEmail, otherPINNew, newTestPIN)
	})
}
