package hashing

import (
	"errors"
	"fmt"
)

// Algorithm is the one hash function: the name a configuration gives and
// the first field of every hash's scheme.
const Algorithm = "argon2id"

// CheckAlgorithm reports an error unless name is Algorithm; the Caddy
// adapter's parser and validator both call it.
func CheckAlgorithm(name string) error {
	if name != Algorithm {
		return fmt.Errorf("unsupported algorithm %q (want argon2id)", name)
	}
	return nil
}

// Params are argon2id cost parameters.
type Params struct {
	// Time is the number of passes.
	Time uint32
	// MemoryKiB is the memory per hash in KiB.
	MemoryKiB uint32
	// Threads is the parallelism.
	Threads uint8
}

// DefaultParams is the default argon2id cost, chosen from measurement:
// about 29 ms per hash on a 2-core EPYC, inside the 20–60 ms a PIN login
// should cost (see README, "Tuning the hash cost").
var DefaultParams = Params{Time: 3, MemoryKiB: 19 * 1024, Threads: 1}

// Validate refuses a cost argon2id cannot run with.
func (p Params) Validate() error {
	if p.Time < 1 || p.MemoryKiB < 8*uint32(p.Threads) || p.Threads < 1 {
		return errors.New("hash argon2id needs time >= 1, threads >= 1, memory >= 8*threads KiB")
	}
	return nil
}
