package pinauth

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestLoginPageSpeaksTheBrowsersLanguageInEveryError: a browser asking
// for German or French reads the page, the tries left, the lock with its
// time formatted for the language, and the core's PIN policy errors in
// that language.
func TestLoginPageSpeaksTheBrowsersLanguageInEveryError(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withLoginPage())
	e.createAccount(testEmail, "")
	e.createAccount("bob@example.com", "")
	for _, c := range []struct {
		lang, title, tries, lock, clock string
		pinErrors                       map[string]string
	}{
		{"de-DE,de;q=0.9,en;q=0.5", `<html lang="de">`, "Sie haben noch 4 Versuche, bevor Ihr Konto gesperrt wird.",
			"für 15 Minuten gesperrt, bis %s UTC", "15:04",
			map[string]string{"12": "Die PIN muss 4 bis 6 Ziffern haben.", "1111": "Diese PIN ist zu leicht zu erraten", "12a4": "Die PIN darf nur Ziffern enthalten."}},
		{"fr", `<html lang="fr">`, "Il vous reste 4 essais avant le blocage de votre compte.",
			"bloqué pendant 15 minutes, jusqu'à %s UTC", "15 h 04",
			map[string]string{"12": "Le code PIN doit avoir de 4 à 6 chiffres.", "1111": "Ce code PIN est trop facile à deviner", "12a4": "Le code PIN ne doit contenir que des chiffres."}},
	} {
		b := newBrowser(t, e)
		b.lang = c.lang
		form := b.get("/login")
		if !strings.Contains(form.body, c.title) {
			t.Fatalf("%s: the page is not in that language:\n%s", c.lang, form.body)
		}
		r := b.submit(form, "/login", "identifier", "bob@example.com", "password", "wrong password")
		if !strings.Contains(r.alert(), c.tries) {
			t.Errorf("%s: wrong password says %q, want %q", c.lang, r.alert(), c.tries)
		}
		for range 4 {
			r = b.submit(r, "/login", "identifier", "bob@example.com", "password", "wrong password")
		}
		lock := fmt.Sprintf(c.lock, e.clock.Now().Add(15*time.Minute).UTC().Format(c.clock))
		if !strings.Contains(r.alert(), lock) {
			t.Errorf("%s: the lock says %q, want %q", c.lang, r.alert(), lock)
		}
		setPIN := b.submit(b.get("/login"), "/login", "identifier", testEmail, "password", testPass)
		if !strings.Contains(setPIN.body, `name="pinauthtoken"`) {
			t.Fatalf("%s: no first-PIN form: %d %q", c.lang, setPIN.status, setPIN.alert())
		}
		for pin, want := range c.pinErrors {
			got := b.submit(setPIN, "/login/setpin", "pin", pin, "confirm", pin)
			if !strings.Contains(got.alert(), want) {
				t.Errorf("%s: PIN %q says %q, want %q", c.lang, pin, got.alert(), want)
			}
		}
		e.clock.Advance(time.Hour) // the next language's lock starts afresh
	}
}
