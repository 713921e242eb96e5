package store

import (
	"encoding/json"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Account is one end user of a tenant. Secrets are argon2id strings produced
// by the core; the store treats them as opaque.
type Account struct {
	Tenant   string
	UID      string
	Emails   []Email
	Username string
	Phone    string

	PasswordHash string
	PINHash      string
	// PINChangedAt is when the current PIN was set; zero when none is set.
	PINChangedAt time.Time
	PINSkipped   bool
	PINSkippedAt time.Time
	// SecurityAnswers maps a question id to the hash of its answer.
	SecurityAnswers map[string]string
	// NeedsSecretReset marks accounts imported without usable secrets: they
	// must set them through a reset flow.
	NeedsSecretReset bool

	Roles         []string
	Active        bool
	EmailVerified bool

	NoOfLogins        int
	LastLoginAt       time.Time
	LastLoginLocation string
	CreatedAt         time.Time
	ModifiedAt        time.Time

	// Profile holds every other LoginRadius profile field (FirstName,
	// CustomFields, …) as given, so unknown fields survive a round trip.
	// Each value comes back byte for byte (no re-encoding, no reordering).
	Profile map[string]json.RawMessage

	// Version is the optimistic-concurrency counter, maintained by the
	// store: 1 after CreateAccount, +1 on every SaveAccount.
	Version int64
}

// Ref returns the account's reference.
func (a *Account) Ref() AccountRef { return AccountRef{Tenant: a.Tenant, UID: a.UID} }

// PrimaryEmail returns the first email of type Primary, else the first email,
// else "".
func (a *Account) PrimaryEmail() string {
	for _, e := range a.Emails {
		if strings.EqualFold(e.Type, "Primary") {
			return e.Value
		}
	}
	if len(a.Emails) > 0 {
		return a.Emails[0].Value
	}
	return ""
}

// Identifiers returns every identifier that must be unique in the tenant, in
// normalized form.
func (a *Account) Identifiers() []Identifier {
	var ids []Identifier
	for _, e := range a.Emails {
		if e.Value != "" {
			ids = append(ids, Identifier{Kind: IdentEmail, Value: NormalizeIdentifier(IdentEmail, e.Value)})
		}
	}
	if a.Username != "" {
		ids = append(ids, Identifier{Kind: IdentUsername, Value: NormalizeIdentifier(IdentUsername, a.Username)})
	}
	if a.Phone != "" {
		ids = append(ids, Identifier{Kind: IdentPhone, Value: NormalizeIdentifier(IdentPhone, a.Phone)})
	}
	return ids
}

// Names returns the account's tenant-wide names: its Uid and every
// identifier, as NameOf gives them, each name once with the first field
// that gives it (uid, then emails, phone, username). See Tx.CreateAccount.
func (a *Account) Names() []Name {
	names := []Name{{Value: NameOf(a.UID), Field: FieldUID}}
	add := func(v, field string) {
		if v == "" {
			return
		}
		n := NameOf(v)
		for _, have := range names {
			if have.Value == n {
				return
			}
		}
		names = append(names, Name{Value: n, Field: field})
	}
	for _, e := range a.Emails {
		add(e.Value, string(IdentEmail))
	}
	add(a.Phone, string(IdentPhone))
	add(a.Username, string(IdentUsername))
	return names
}

// Name is one of an account's tenant-wide names.
type Name struct {
	// Value is the name as NameOf gives it.
	Value string
	// Field is what gives the account the name: FieldUID, or an
	// IdentifierKind as a string ("email", "phone", "username").
	Field string
}

// FieldUID names the Uid where a field is named (DuplicateError.Field,
// Name.Field, NameConflict.Field).
const FieldUID = "uid"

// NameOf returns the tenant-wide name of an identifier or a Uid: the form
// in which an account's names (its Uid, emails, phone and username) are
// unique across kinds within a tenant, so that a string an app may take
// for "the user" (a preset's user header sends the username, else the
// email, else the Uid) names one account. It is NormalizeIdentifier's form
// for emails and usernames (surrounding space removed, lower-cased, no
// non-ASCII character folded into ASCII), applied to phones and Uids too.
func NameOf(v string) string { return NormalizeIdentifier(IdentUsername, v) }

// NameConflict is a name that an account shares with another account of
// its tenant without holding it: data written before names were unique
// across kinds (a username equal to another account's email, say). The
// schema migration that made them unique gave each name to one account
// (by field: uid, email, phone, username; then by Uid) and recorded the
// others; nothing is merged or changed. A listed account keeps the
// identifier (saves that keep it succeed) until it drops it; no account
// can take the name while one still shares it.
type NameConflict struct {
	Tenant string
	// UID is the account that shares the name without holding it.
	UID string
	// Field is what gives UID the name (see Name.Field).
	Field string
	// Name is the shared name, as NameOf gives it.
	Name string
	// Holder is the account that holds the name, "" when it has dropped
	// it (the name then waits until the sharing accounts but one drop it
	// too, and the last one takes it on its next save).
	Holder string
}

// Email is one address of an account, in LoginRadius's shape.
type Email struct {
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

// IdentifierKind names a login identifier.
type IdentifierKind string

// The identifier kinds an account can be found by.
const (
	IdentEmail    IdentifierKind = "email"
	IdentUsername IdentifierKind = "username"
	IdentPhone    IdentifierKind = "phone"
)

// Identifier is a normalized login identifier.
type Identifier struct {
	Kind  IdentifierKind
	Value string
}

// NormalizeIdentifier returns the form in which identifiers are compared:
// surrounding space removed, and emails and usernames lower-cased. No
// character outside ASCII is lower-cased into ASCII: strings.ToLower would
// turn the Kelvin sign K into k and the dotted capital İ into i, so that
// "\u212Aate@example.com" reached kate@example.com's account. Every other
// rune folds as strings.ToLower folds it, so stored identifiers keep their
// form.
func NormalizeIdentifier(kind IdentifierKind, v string) string {
	v = strings.TrimSpace(v)
	if kind == IdentPhone {
		return v
	}
	return strings.Map(func(r rune) rune {
		if l := unicode.ToLower(r); r < utf8.RuneSelf || l >= utf8.RuneSelf {
			return l
		}
		return r
	}, v)
}

// TokenKind names what an opaque token is for.
type TokenKind string

// The opaque token kinds.
const (
	// TokenPINSession is the PIN login session_token; reusable until it
	// expires or is invalidated.
	TokenPINSession TokenKind = "pin_session"
	// TokenPINAuth is the single-use PinAuthToken that lets an account
	// without a PIN set one.
	TokenPINAuth TokenKind = "pin_auth"
	// TokenRefresh is a refresh token; single use, rotated on refresh.
	TokenRefresh TokenKind = "refresh"
	// TokenPINReset is a single-use PIN reset token sent by email.
	TokenPINReset TokenKind = "pin_reset"
	// TokenPasswordReset is a single-use password reset token sent by
	// email; a PIN reset token is never one, nor the other way round.
	TokenPasswordReset TokenKind = "password_reset"
	// TokenOTP is a one-time code sent by email or SMS.
	TokenOTP TokenKind = "otp"
	// TokenSecondFactor is the SecondFactorAuthenticationToken of an MFA
	// login in progress.
	TokenSecondFactor TokenKind = "second_factor"
	// TokenStepUp is a SecondFactorValidationToken proving a recent step-up.
	TokenStepUp TokenKind = "step_up"
	// TokenAccess is an access-token handle of a tenant whose token format
	// is uuid: reusable until it expires or its session is revoked.
	TokenAccess TokenKind = "access"
)

// Token is a stored opaque token. Only its hash is kept.
type Token struct {
	// Hash identifies the token: a hex SHA-256 (or keyed hash) of its value.
	Hash   string
	Kind   TokenKind
	Tenant string
	UID    string
	// SessionID binds the token to a login session ("" for none). Revoking
	// the session deletes it.
	SessionID string
	CreatedAt time.Time
	ExpiresAt time.Time
	// UsedAt is when a one-time token was consumed; zero while unused.
	UsedAt time.Time
	// Data holds small kind-specific facts (a step-up scope, the channel an
	// OTP was sent by).
	Data map[string]string
}

// Session is one login: the access tokens and the refresh-token family that
// carry its id (the JWT "sid").
type Session struct {
	ID        string
	Tenant    string
	UID       string
	CreatedAt time.Time
	ExpiresAt time.Time
	// RevokedAt is zero while the session is valid.
	RevokedAt time.Time
}

// Ref returns the reference of the session's account.
func (s *Session) Ref() AccountRef { return AccountRef{Tenant: s.Tenant, UID: s.UID} }

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

// LockType is how a locked account is treated.
type LockType string

// The lock types.
const (
	LockNone    LockType = ""
	LockSuspend LockType = "Suspend"
	LockCaptcha LockType = "Captcha"
	LockBlock   LockType = "Block"
)

// Attempts is an account's failure count and lock state.
type Attempts struct {
	Failures    int
	WindowStart time.Time
	LockType    LockType
	// LockedUntil is when the lock ends; zero when unlocked. Block locks use
	// a time far in the future.
	LockedUntil time.Time
}

// Locked reports whether the account is locked at now.
func (a Attempts) Locked(now time.Time) bool {
	return a.LockType != LockNone && a.LockedUntil.After(now)
}

// AttemptPolicy configures Store.ReserveAttempt.
type AttemptPolicy struct {
	// Limit is the number of checks that may be counted in one window.
	Limit int
	// Window is how long failures are remembered.
	Window time.Duration
	// Bypass lets checks proceed while a lock of this type is active
	// (LockNone: never).
	Bypass LockType
}

// AttemptResult is what Store.ReserveAttempt decided.
type AttemptResult struct {
	// Allowed is true when the check may proceed; it has been counted.
	Allowed bool
	// Count is the number of checks counted in the window after this call.
	Count int
	// State is the account's state after this call.
	State Attempts
}

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
