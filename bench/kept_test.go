package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteReportKeepsTheHandWrittenSections(t *testing.T) {
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	hand := keptMarker + "\n\n## The cold path (issue 22)\n\nmeasured by hand\n"
	old := "# Benchmarks\n\nold generated numbers, mentioning `" + keptMarker + "` inside a line\n\n" + hand
	if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeReport(path, "# Benchmarks\n\nnew numbers\n"); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "# Benchmarks\n\nnew numbers\n\n" + hand; string(got) != want {
		t.Errorf("report =\n%s\nwant\n%s", got, want)
	}
	// A second run keeps the same sections, not a second copy.
	if err := writeReport(path, "# Benchmarks\n\nnewer numbers\n"); err != nil {
		t.Fatal(err)
	}
	got, _ = os.ReadFile(path)
	if want := "# Benchmarks\n\nnewer numbers\n\n" + hand; string(got) != want {
		t.Errorf("second report =\n%s\nwant\n%s", got, want)
	}
}

func TestWriteReportWithoutAnEarlierFileEndsWithTheMarker(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.md")
	if err := writeReport(path, "# Benchmarks\n"); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "# Benchmarks\n\n"+keptMarker+"\n" {
		t.Errorf("report = %q", got)
	}
	if s := withKept("gen\n", "no marker here\n"); !strings.HasSuffix(s, keptMarker+"\n") || strings.Contains(s, "no marker") {
		t.Errorf("without a marker the old text must go and the marker be added: %q", s)
	}
}

func TestRatioTextShowsAMissThatRoundsToItsTarget(t *testing.T) {
	for _, c := range []struct {
		x, min float64
		want   string
	}{
		{0.79996, 0.8, "0.79996"},
		{0.7996, 0.8, "0.7996"},
		{0.8004, 0.8, "0.800"},
		{0.7812, 0.75, "0.781"},
	} {
		if got := ratioText(c.x, c.min); got != c.want {
			t.Errorf("ratioText(%v, %v) = %q, want %q", c.x, c.min, got, c.want)
		}
	}
}
