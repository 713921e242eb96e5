package store

import "time"

// Event is a webhook outbox entry.
type Event struct {
	// ID is the HookId and the Standard Webhooks webhook-id.
	ID     string
	Tenant string
	UID    string
	// Hook is the event name (Login, SetPIN, …).
	Hook string
	// Endpoint names the webhook the event is for.
	Endpoint  string
	Payload   []byte
	CreatedAt time.Time
	// State is pending, delivered or dead.
	State EventState
	// Attempts counts delivery attempts started (ClaimEvents counts one).
	Attempts int
	// NextAttemptAt is when a pending event is due; zero means now.
	NextAttemptAt time.Time
	// LastError describes the last failed attempt.
	LastError string
	// ClaimedBy and ClaimedUntil name the dispatcher holding the event's
	// lease and when the lease ends; zero when unclaimed. Tx.AddEvent
	// ignores them: new events are unclaimed.
	ClaimedBy    string
	ClaimedUntil time.Time
	// FinishedAt is when the event was delivered or declared dead; zero
	// while pending.
	FinishedAt time.Time
}

// EventState is the delivery state of an outbox event.
type EventState string

// The event states.
const (
	EventPending   EventState = "pending"
	EventDelivered EventState = "delivered"
	EventDead      EventState = "dead"
)

// EventFilter selects outbox events for Reader.Events.
type EventFilter struct {
	// State, when not "", keeps events in that state.
	State EventState
	// Tenant and UID, when not "", keep events of that tenant / account.
	Tenant string
	UID    string
	// Limit caps the result (0: 1000).
	Limit int
}

// EventClaim asks Store.ClaimEvents for due events.
type EventClaim struct {
	// Owner identifies the claiming dispatcher (unique per process).
	Owner string
	// Endpoints are the webhooks the claimer can deliver to; events of
	// other endpoints are left alone.
	Endpoints []string
	// Now is the claim time; Lease how long the claim lasts.
	Now   time.Time
	Lease time.Duration
	// Limit caps the number of events claimed.
	Limit int
}

// EventFailure describes a failed delivery attempt for Store.FailEvent.
type EventFailure struct {
	// Attempt is the event's Attempts as ClaimEvents returned it: it names
	// the claim whose attempt failed.
	Attempt int
	// Error is stored as the event's LastError. It must not contain a
	// secret or the payload.
	Error string
	// RetryAt is when the event is due again (unless Dead).
	RetryAt time.Time
	// Dead ends delivery: the event is kept, marked dead at Now.
	Dead bool
	Now  time.Time
}
