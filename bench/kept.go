package main

import (
	"errors"
	"io/fs"
	"os"
	"strings"
)

// keptMarker starts the hand-written part of BENCHMARKS.md: a run
// regenerates everything above it and copies everything from it to the
// end of the existing file unchanged.
const keptMarker = "<!-- kept by bench/run.sh: hand-written sections below -->"

// withKept appends to generated the hand-written part of old: from the
// first line that is keptMarker alone to the end. Without such a line in
// old, the marker alone is appended, so that sections added below it
// later survive the next run.
func withKept(generated, old string) string {
	kept := keptMarker + "\n"
	for i := 0; i < len(old); {
		line, _, _ := strings.Cut(old[i:], "\n")
		if strings.TrimSpace(line) == keptMarker {
			kept = old[i:]
			if !strings.HasSuffix(kept, "\n") {
				kept += "\n"
			}
			break
		}
		i += len(line) + 1
	}
	return strings.TrimRight(generated, "\n") + "\n\n" + kept
}

// writeReport writes the generated report to path, keeping the
// hand-written sections of the file already there.
func writeReport(path, generated string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return os.WriteFile(path, []byte(withKept(generated, string(old))), 0o644)
}
