//go:build race

package cache

// raceEnabled reports that the tests run with the race detector, whose
// instrumentation allocates where the plain build does not.
const raceEnabled = true
