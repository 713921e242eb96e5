package captcha

// Result is the outcome of a captcha check, as the gateway reports it to
// its Observer.
type Result uint8

// The captcha results.
const (
	// Valid: the provider accepted the answer.
	Valid Result = iota
	// Invalid: the provider refused the answer.
	Invalid
	// Missing: required but not sent.
	Missing
	// ProviderError: the provider gave no usable answer.
	ProviderError
)

// Results lists every Result, for pre-binding metric labels.
var Results = []Result{Valid, Invalid, Missing, ProviderError}

func (r Result) String() string {
	return [...]string{"valid", "invalid", "missing", "error"}[r]
}
