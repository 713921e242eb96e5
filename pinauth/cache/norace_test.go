//go:build !race

package cache

// raceEnabled reports that the tests run with the race detector.
const raceEnabled = false
