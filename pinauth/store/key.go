package store

import "time"

// Key is a JWT signing key.
type Key struct {
	// ID is the JWT "kid".
	ID  string
	Alg string
	// Private is the private key, encrypted by the core; never stored clear.
	Private []byte
	// Public is the PKIX DER public key (empty for HMAC keys).
	Public []byte
	// PepperID names the pepper whose derived key encrypted Private.
	PepperID  string
	CreatedAt time.Time
	// RetiredAt is zero while the key may sign.
	RetiredAt time.Time
}
