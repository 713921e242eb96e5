package loginpage

import (
	"bytes"
	"html"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// sameInEveryLanguage are the texts a language may write as English does.
var sameInEveryLanguage = map[string]bool{
	"label.code": true, "time.layout": true, "dur.minute.one": true, "dur.minute.other": true,
}

func TestEveryCatalogueHasEveryTextTranslatedWithTheSamePlaceholders(t *testing.T) {
	t.Parallel()
	c := mustCatalogue()
	if got := c.langs(); !slices.Equal(got, []string{"de", "en", "fr"}) {
		t.Fatalf("languages %v, want de, en, fr", got)
	}
	for _, lang := range c.langs() {
		if len(c[lang]) != len(c[defaultLang]) {
			t.Errorf("%s has %d texts, en %d", lang, len(c[lang]), len(c[defaultLang]))
		}
		for key, en := range c[defaultLang] {
			text, ok := c[lang][key]
			switch {
			case !ok || text == "":
				t.Errorf("%s lacks %s", lang, key)
			case verbs(text) != verbs(en):
				t.Errorf("%s %s has placeholders %q, en %q", lang, key, verbs(text), verbs(en))
			case lang != defaultLang && text == en && !sameInEveryLanguage[key] && fr(lang, key):
				t.Errorf("%s %s is the English text %q", lang, key, text)
			}
		}
	}
}

// fr lets French keep the English words it shares ("1 minute",
// "%d minutes"); every other language and text must differ.
func fr(lang, key string) bool { return !(lang == "fr" && strings.HasPrefix(key, "dur.minute")) }

// visibleRE finds what a person reads or hears of a page: the text
// between tags, and the attributes a screen reader says.
var (
	tagRE     = regexp.MustCompile(`(?s)<[^>]*>`)
	spokenRE  = regexp.MustCompile(`(?:aria-label|title|alt|placeholder)="([^"]*)"`)
	lettersRE = regexp.MustCompile(`\pL`)
)

// pageStates are page data that together take every branch of the
// templates that shows words.
func pageStates() []*pageData {
	rc := &Recovery{EmailLink: true, EmailOTP: true, SMS: true, Questions: []Question{{ID: "q1", Text: "1?"}}}
	var out []*pageData
	for _, step := range []string{"choose", byLink, bySMS, byAnswers} {
		for _, field := range []string{"", "identifier", "current", "password", "confirm", "pin", "otp", "answer"} {
			out = append(out, &pageData{Step: step, Field: field, Recovery: rc, Display: "1@2.3", Again: "/x",
				ResetToken: "t", ResetType: linkPIN, FieldError: "", PINMin: 4, PINMax: 8, Return: "/r"})
		}
	}
	out = append(out, &pageData{Step: "choose", Recovery: &Recovery{}, PINMin: 4, PINMax: 8,
		Brand: Brand{ProductName: "42", LogoURL: "/l.png", SupportURL: "mailto:1@2.3"}, BrandCSS: true},
		&pageData{Display: "", PINMin: 4, PINMax: 8},
		&pageData{ResetType: codePassword, Field: "otp", Identifier: "1@2.3", PINMin: 4, PINMax: 8},
		&pageData{Field: "current", Continue: "/r", Notice: "1@2.3", PINMin: 4, PINMax: 8,
			FieldErrors: map[string]string{"current": "1@2.3", "password": "1@2.3", "confirm": "1@2.3"}},
		&pageData{Field: "email", SignUp: true, Hint: "1@2.3", Identifier: "1@2.3", ResetToken: "t", PINMin: 4, PINMax: 8,
			Fields:      []signUpField{{Name: "FirstName", ID: "field-firstname", Label: "1@2.3", Type: "text", Autocomplete: "given-name"}},
			FieldErrors: map[string]string{"email": "1@2.3", "password": "1@2.3", "confirm": "1@2.3", "field-firstname": "1@2.3"}},
		&pageData{Field: "otp", CodeCSRF: "c", Identifier: "1@2.3", PINMin: 4, PINMax: 8,
			FieldErrors: map[string]string{"otp": "1@2.3"}})
	return out
}

// TestEveryTemplateInEveryLanguageHasNoUntranslatedWord renders every
// page template in every language and state and takes away the language's
// own texts and the sample data: nothing with a letter may be left, so
// no word on any page is missing from the catalogues.
func TestEveryTemplateInEveryLanguageHasNoUntranslatedWord(t *testing.T) {
	t.Parallel()
	p := newTestPage(t)
	for _, lang := range p.catalogue.langs() {
		tx := texts{lang: lang, m: p.catalogue[lang], def: p.catalogue[lang]}
		var known []string
		for key, text := range tx.m {
			if key == "text.pinhint" {
				text = tx.get(key, 4, 8)
			}
			known = append(known, text)
		}
		// Longest first, so a text inside another goes with it.
		slices.SortFunc(known, func(a, b string) int { return len(b) - len(a) })
		for name, tmpl := range p.views.pages {
			for i, d := range pageStates() {
				d.tx, d.Lang, d.Path = tx, lang, "/login"
				var buf bytes.Buffer
				if err := tmpl.ExecuteTemplate(&buf, layoutFile, d); err != nil {
					t.Fatalf("%s in %s: %v", name, lang, err)
				}
				out := buf.String()
				if !strings.Contains(out, `<html lang="`+lang+`">`) {
					t.Fatalf("%s in %s does not say its language", name, lang)
				}
				words := tagRE.ReplaceAllString(out, "\n")
				for _, m := range spokenRE.FindAllStringSubmatch(out, -1) {
					words += "\n" + m[1]
				}
				words = html.UnescapeString(words)
				for _, text := range known {
					words = strings.ReplaceAll(words, text, " ")
				}
				words = strings.ReplaceAll(words, "1@2.3", " ")
				if d.Brand.SupportURL != "" && !strings.Contains(out, `href="mailto:1@2.3"`) {
					t.Errorf("%s: the support link is missing", name)
				}
				if lettersRE.MatchString(words) {
					t.Errorf("%s in %s (state %d) has words outside its catalogue: %q", name, lang, i,
						strings.Join(strings.Fields(words), " "))
				}
			}
		}
	}
}

func TestTheLanguageFollowsAcceptLanguage(t *testing.T) {
	t.Parallel()
	c := mustCatalogue()
	for header, want := range map[string]string{
		"":                           "en",
		"de-CH,de;q=0.9,en;q=0.8":    "de",
		"fr;q=0.5, de;q=0.9":         "de",
		"es,fr-FR;q=0.7,en-GB;q=0.6": "fr",
		"es, pt":                     "en",
		"EN-us":                      "en",
		"fr;q=abc":                   "fr",
	} {
		if got := c.pick(header); got != want {
			t.Errorf("Accept-Language %q picks %s, want %s", header, got, want)
		}
	}
}

func TestAnOperatorReplacesATextPerLanguageAndTyposFail(t *testing.T) {
	t.Parallel()
	c, err := loadCatalogue(map[string]map[string]string{"de": {"button.login": "Einloggen"}})
	if err != nil {
		t.Fatal(err)
	}
	if c["de"]["button.login"] != "Einloggen" || c["fr"]["button.login"] != "Se connecter" {
		t.Fatalf("override: de %q, fr %q", c["de"]["button.login"], c["fr"]["button.login"])
	}
	if again := mustCatalogue(); again["de"]["button.login"] != "Anmelden" {
		t.Fatal("an override changed the embedded catalogue of other pages")
	}
	for _, bad := range []map[string]map[string]string{
		{"xx": {"button.login": "x"}},
		{"de": {"button.logon": "x"}},
		{"de": {"text.pinhint": "Nur Ziffern"}},
	} {
		if _, err := loadCatalogue(bad); err == nil {
			t.Errorf("override %v accepted", bad)
		}
	}
	r := httptest.NewRequest("GET", "/login", nil)
	r.Header.Set("Accept-Language", "fr")
	p := newTestPage(t)
	if got := p.t(r, "error.lockeduntil", inWords(p.textsFor(r), 14*60e9), p.textsFor(r).clock(mustTime(t, "2026-12-07T06:51:00Z"))); !strings.Contains(got, "pendant 14 minutes, jusqu'à 06 h 51 UTC") {
		t.Errorf("French lock text: %q", got)
	}
}
