package webhook

// Result is the outcome of one delivery attempt.
type Result uint8

// The delivery results.
const (
	// Delivered: the receiver answered 2xx.
	Delivered Result = iota
	// Retried: the attempt failed and the event will be retried.
	Retried
	// Dead: the attempt failed and the event gave up.
	Dead
)

// Results lists every Result.
var Results = []Result{Delivered, Retried, Dead}

func (r Result) String() string {
	return [...]string{"delivered", "retry", "dead"}[r]
}
