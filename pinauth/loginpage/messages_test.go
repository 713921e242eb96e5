package loginpage

import (
	"testing"
	"time"
)

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
		if got := inWords(d); got != want {
			t.Errorf("inWords(%s) = %q, want %q", d, got, want)
		}
	}
}
