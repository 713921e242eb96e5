package ratelimit

import (
	"errors"
	"time"
)

// Policy bounds the credential checks one client may start.
type Policy struct {
	// Requests is how many credential checks a client may make in a burst;
	// after it, one more per Window/Requests. Default: 300.
	Requests int
	// Window is the period Requests refers to. Default: 1m.
	Window time.Duration
}

// The rate-limit defaults.
const (
	// DefaultRequests is Policy.Requests when it is not positive.
	DefaultRequests = 300
	// DefaultWindow is Policy.Window when it is not positive.
	DefaultWindow = time.Minute
	// DefaultClients bounds the clients a Limiter remembers (about 20 MiB
	// at most).
	DefaultClients = 1 << 18
)

// WithDefaults returns p with a Requests or Window that is not positive
// replaced by its default.
func (p Policy) WithDefaults() Policy {
	if p.Requests <= 0 {
		p.Requests = DefaultRequests
	}
	if p.Window <= 0 {
		p.Window = DefaultWindow
	}
	return p
}

// Validate refuses a negative Requests or Window (zero means the default).
func (p Policy) Validate() error {
	if p.Requests < 0 || p.Window < 0 {
		return errors.New("requests and window must not be negative")
	}
	return nil
}
