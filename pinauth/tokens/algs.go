package tokens

import "fmt"

// The supported JWT signing algorithms.
const (
	// AlgEdDSA signs with Ed25519 (the default).
	AlgEdDSA = "EdDSA"
	// AlgES256 signs with ECDSA on P-256.
	AlgES256 = "ES256"
	// AlgRS256 signs with RSA PKCS#1 v1.5, 2048 bits or more.
	AlgRS256 = "RS256"
	// AlgHS256 signs with a shared secret, which is never published.
	AlgHS256 = "HS256"
)

// CheckAlg reports an error unless alg is one of the supported
// algorithms; the configuration's validators (the core's and the Caddy
// adapter's) both call it.
func CheckAlg(alg string) error {
	switch alg {
	case AlgEdDSA, AlgES256, AlgRS256, AlgHS256:
		return nil
	}
	return fmt.Errorf("unsupported algorithm %q (want EdDSA, ES256, RS256 or HS256)", alg)
}
