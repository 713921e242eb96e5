package pinauth

// The supported JWT signing algorithms.
const (
	AlgEdDSA = "EdDSA"
	AlgES256 = "ES256"
	AlgRS256 = "RS256"
	AlgHS256 = "HS256"
)

func validAlg(a string) bool {
	switch a {
	case AlgEdDSA, AlgES256, AlgRS256, AlgHS256:
		return true
	}
	return false
}
