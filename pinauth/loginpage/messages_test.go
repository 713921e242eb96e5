package loginpage

import (
	"testing"
	"time"
)

// english are the English texts, as a browser that asks for no other
// language gets them.
var english = texts{lang: "en", m: mustCatalogue()["en"], def: mustCatalogue()["en"]}

func mustCatalogue() catalogue {
	c, err := loadCatalogue(nil)
	if err != nil {
		panic(err)
	}
	return c
}

func TestInWordsRoundsUp(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		30 * time.Second:             "about a minute",
		61 * time.Second:             "2 minutes",
		15 * time.Minute:             "15 minutes",
		time.Hour:                    "1 hour",
		90 * time.Minute:             "2 hours",
		47 * time.Hour:               "47 hours",
		72 * time.Hour:               "3 days",
		72*time.Hour + time.Second:   "4 days",
		59*time.Minute + time.Second: "1 hour",
		59 * time.Minute:             "59 minutes",
	} {
		if got := inWords(english, d); got != want {
			t.Errorf("inWords(%s) = %q, want %q", d, got, want)
		}
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return at
}
