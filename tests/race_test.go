//go:build race

package tests

// raceEnabled reports that the tests run with the race detector.
const raceEnabled = true
