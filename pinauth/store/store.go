// Package store defines the persistence contract of pinauth: one interface,
// described by what each call guarantees rather than by SQL, that every
// backend (sqlite, postgres) implements and that the shared conformance suite
// in storetest checks.
//
// Conventions that hold for every method:
//   - Lookups return (value, found, err): found=false with err=nil means "no
//     such thing"; err is reserved for faults (I/O, a closed store, a broken
//     connection). Callers fail closed on err.
//   - Operations that security depends on are atomic in the store, never
//     read-modify-write in Go: consuming a one-time token, counting a failed
//     credential check, rotating a refresh token, changing a credential
//     together with the sessions it revokes.
//   - Times are stored with at least millisecond precision and returned in UTC.
//   - Secrets never reach the store in clear: tokens arrive as hashes, PINs,
//     passwords and answers as argon2id strings.
package store

import (
	"context"
	"time"
)

// Store is the persistence contract. Implementations must be safe for
// concurrent use by many goroutines and, for shared backends, by many
// processes.
type Store interface {
	Reader

	// Update runs fn in one transaction: either every write fn makes through
	// tx is committed, or none is. When fn returns an error the transaction is
	// rolled back and Update returns that error unchanged. fn must only touch
	// the store through tx and must not block on anything else (no hashing,
	// no network): backends may hold a write lock while it runs, and may run
	// fn again when the database reports a serialization conflict.
	Update(ctx context.Context, fn func(tx Tx) error) error

	// ReserveAttempt counts one credential check against an account before
	// the secret is compared, in one atomic step. ref need not name a
	// stored account: the gateway counts checks of identifiers that find
	// no account under refs of their own, so that they lock alike. It returns Allowed=false,
	// without counting, while the account is locked or while Limit checks
	// are already counted in the current window; otherwise it increments the
	// count and returns Allowed=true with the new count. An expired lock or
	// window starts a fresh count. When AttemptPolicy.Bypass equals the
	// type of the active lock (a captcha lock with a solved captcha),
	// neither the lock nor the limit stops the check; it is still counted.
	// Bypass has no effect while no lock is in force. A window ends at
	// WindowStart+Window and a lock at LockedUntil (at that instant, not
	// after it); Limit 0 allows no check. A refused call's Count and State
	// already reflect an ended window or lock. DecideAttempt is this
	// decision in code.
	ReserveAttempt(ctx context.Context, ref AccountRef, p AttemptPolicy, now time.Time) (AttemptResult, error)

	// PruneAttempts deletes up to limit attempt records (see Attempts)
	// that no longer count at now: no lock in force (none, or one whose
	// LockedUntil is not after now) and no failure counted in a window
	// that started at or after windowsBefore (the caller passes now minus
	// the longest window it uses). It returns how many it deleted. A
	// pruned account reads as one with no failures, which is what its
	// record meant. Credential checks against identifiers no account has
	// are counted under refs of their own (see ReserveAttempt), so this is
	// what keeps their records bounded.
	PruneAttempts(ctx context.Context, windowsBefore, now time.Time, limit int) (int, error)

	// AddKey stores a new signing key. With onlyIfNone it inserts only when
	// no unretired key of the same algorithm exists, atomically, so that
	// nodes starting together agree on one key; inserted reports the outcome.
	// A key with a non-zero RetiredAt counts as retired. A used ID is an
	// error.
	AddKey(ctx context.Context, k Key, onlyIfNone bool) (inserted bool, err error)

	// RetireKey marks a key retired at the given time. Retired keys are no
	// longer used to sign; they are kept for verification until the caller
	// stops publishing them. found=false when no such key exists. Retiring
	// a retired key keeps the first time.
	RetireKey(ctx context.Context, id string, at time.Time) (found bool, err error)

	// SetMetaIfAbsent stores value under key unless the key already holds a
	// value, and returns the value stored afterwards (the existing one, or
	// value).
	SetMetaIfAbsent(ctx context.Context, key, value string) (string, error)

	// SetMeta stores value under key, replacing any earlier value.
	SetMeta(ctx context.Context, key, value string) error

	// ClaimEvents leases up to c.Limit outbox events to c.Owner for
	// delivery, in one atomic step, and returns them oldest first with
	// Attempts already counting this attempt, ClaimedBy = c.Owner and
	// ClaimedUntil = c.Now + c.Lease. An event is claimable when it is
	// pending, due (NextAttemptAt zero or not after c.Now), not leased (no
	// ClaimedUntil after c.Now), its Endpoint is in c.Endpoints, and no
	// older event (by CreatedAt, then insertion order) of the same account
	// (Tenant, UID) and Endpoint is pending, leased or not: per account and
	// endpoint, events are delivered one at a time, in order. Of any number
	// of concurrent callers, in this process or another sharing the
	// backend, each event goes to exactly one until its lease ends. A Limit
	// below 1 or no Endpoints claims nothing.
	ClaimEvents(ctx context.Context, c EventClaim) ([]Event, error)

	// CompleteEvent marks a pending event delivered at now and ends its
	// lease, whoever holds it: a finished delivery is a fact even when
	// the lease ran out meanwhile. found=false (and no change) when no
	// pending event has that id.
	CompleteEvent(ctx context.Context, id string, now time.Time) (found bool, err error)

	// FailEvent records a failed attempt of an event leased to owner by
	// the claim that counted attempt f.Attempt: it stores f.Error as
	// LastError and ends the lease; the event then waits until f.RetryAt,
	// or becomes dead at f.Now when f.Dead is set. found=false (and no
	// change) when no pending event with that id is held by that claim:
	// the lease ran out and another claim (of any owner, this one
	// included) took the event, or it was completed meanwhile.
	FailEvent(ctx context.Context, id, owner string, f EventFailure) (found bool, err error)

	// ReplayEvent puts a dead event back in the queue: pending, due at
	// now, Attempts 0, LastError and FinishedAt cleared, ID and payload
	// unchanged (receivers see the same webhook-id). found=false when no
	// dead event has that id.
	ReplayEvent(ctx context.Context, id string, now time.Time) (found bool, err error)

	// PruneEvents deletes up to limit delivered events whose FinishedAt is
	// before the given time, oldest first, and returns how many it
	// deleted. Pending and dead events are never pruned.
	PruneEvents(ctx context.Context, before time.Time, limit int) (int, error)

	// Subscribe calls fn with the Invalidation of every change committed
	// through the store until ctx is done: Tx.SaveAccount and
	// Tx.DeleteAccount announce the account, Tx.RevokeSession and
	// Tx.RevokeSessions the sessions they revoked, AddKey (when it
	// inserts) and RetireKey (when the key exists) the keys. Nothing of a
	// rolled-back Update is announced. Subscribers also receive the changes
	// they made themselves.
	//
	// A backend shared by several processes delivers every process's
	// changes to every process, asynchronously and in commit order, and
	// sends Reset whenever it may have missed some (after its notification
	// channel reconnects). A single-process backend delivers to the
	// subscribers of the same Store before the call that committed the
	// change returns. fn may run on several goroutines at once; it must be
	// quick, must not modify what it is given and must not write to the
	// store. Once ctx is done fn is not called again. Subscribing to a
	// closed store does nothing.
	Subscribe(ctx context.Context, fn func(Invalidation))

	// Close releases the store's resources. After it every other method
	// returns ErrClosed; calling Close again returns nil.
	Close() error
}

// Invalidation names cached data that a committed change made stale. The
// zero fields name nothing.
type Invalidation struct {
	// Account is an account whose stored record changed or was deleted.
	Account AccountRef
	// Sessions are sessions that were revoked.
	Sessions []string
	// Keys reports that the signing keys changed.
	Keys bool
	// Reset reports that changes may have gone unannounced: every cached
	// value may be stale.
	Reset bool
}

// Reader holds the read-only lookups. They see committed data only.
type Reader interface {
	RoleReader

	// Account returns the account with the given uid in tenant.
	Account(ctx context.Context, tenant, uid string) (Account, bool, error)

	// AccountBy returns the account whose identifier of the given kind
	// matches value. Emails and usernames match case-insensitively (the
	// backend compares NormalizeIdentifier forms); phones match exactly.
	// A kind other than the three IdentifierKinds is an error.
	AccountBy(ctx context.Context, tenant string, kind IdentifierKind, value string) (Account, bool, error)

	// ListAccounts returns up to limit accounts of tenant ordered by uid,
	// starting after the uid given in after ("" for the first page). A
	// limit below 1 yields no accounts.
	ListAccounts(ctx context.Context, tenant, after string, limit int) ([]Account, error)

	// CountAccounts returns the number of accounts of tenant ("" counts all
	// tenants).
	CountAccounts(ctx context.Context, tenant string) (int, error)

	// NameOwner tells what name (as NameOf gives it) names in tenant:
	// taken reports whether any account has it, by its Uid or an
	// identifier; uid is the one account it names: the account holding
	// it, else the only account having it, and "" when several have it
	// and none holds it. Whatever an app is shown as "the user" must be
	// a name whose NameOwner is that account.
	NameOwner(ctx context.Context, tenant, name string) (uid string, taken bool, err error)

	// NameConflicts returns the NameConflicts of tenant ("" for every
	// tenant) and of account uid in it ("" for every account), ordered by
	// tenant, name and uid. A store that never held two accounts sharing
	// a name returns none.
	NameConflicts(ctx context.Context, tenant, uid string) ([]NameConflict, error)

	// Attempts returns the failure count and lock state of an account. An
	// account with no recorded failures and no lock yields the zero
	// Attempts and found false; a lock set without failures (Lock with
	// limit 0) is found.
	Attempts(ctx context.Context, ref AccountRef) (Attempts, bool, error)

	// Token returns a stored token by kind and hash, whatever its state
	// (used, expired). It is for classifying failures and for reading tokens
	// that are not single use; one-time tokens are taken with
	// Tx.ConsumeToken.
	Token(ctx context.Context, kind TokenKind, hash string) (Token, bool, error)

	// LiveSessionToken returns the token of kind bound to the session
	// sessionID that is unused and unexpired at now (now < ExpiresAt); of
	// several, the newest by CreatedAt (ties: the greatest hash).
	// found=false when there is none. (A login session's refresh family
	// has at most one live member: its current refresh token.)
	LiveSessionToken(ctx context.Context, sessionID string, kind TokenKind, now time.Time) (Token, bool, error)

	// Session returns a login session by id, revoked or not.
	Session(ctx context.Context, id string) (Session, bool, error)

	// Changes returns the accounts saved or deleted and the sessions
	// revoked by transactions that wrote them at or after since (by the
	// writer's clock), each once, in no particular order. What is older
	// than ChangeRetention may be gone.
	Changes(ctx context.Context, since time.Time) (Changes, error)

	// Keys returns every stored signing key, retired ones included, oldest
	// (by CreatedAt) first, ties in ID order.
	Keys(ctx context.Context) ([]Key, error)

	// Meta returns the value stored under key.
	Meta(ctx context.Context, key string) (string, bool, error)

	// Events returns outbox events matching f, oldest (by CreatedAt) first,
	// events created at the same instant in the order they were added.
	Events(ctx context.Context, f EventFilter) ([]Event, error)

	// CountEvents returns how many outbox events are in state, without
	// reading them (metrics scrapes and `caddy pinauth stats` call it).
	CountEvents(ctx context.Context, state EventState) (int, error)

	// CountHashes counts the accounts of tenant ("" for every tenant) by
	// the HashScheme of each secret they hold: for each SecretKind and
	// scheme, how many accounts have a hash of that kind made under that
	// scheme. An account without a secret of a kind is not counted for
	// it; an account whose security answers share a scheme counts once
	// for it. The counts come sorted by Secret, then Scheme. It reads no
	// more than the hashes (`caddy pinauth stats` calls it to tell when
	// an old pepper or hash cost is no longer in use).
	CountHashes(ctx context.Context, tenant string) ([]HashCount, error)
}

// Tx is the set of writes (and reads that must see them) available inside
// Store.Update. A Tx must not be used after fn returns.
type Tx interface {
	RoleTx

	// Account reads an account inside the transaction.
	Account(tenant, uid string) (Account, bool, error)

	// CreateAccount inserts a new account with Version 1 (whatever a.Version
	// says). A uid or an identifier (email, username, phone) already used in
	// the tenant, or listed twice in a, yields a *DuplicateError naming the
	// field. A rejected call writes nothing and the transaction stays usable.
	//
	// Names are unique across kinds: each of a's names (Account.Names: its
	// Uid and identifiers as NameOf gives them) must be no name of another
	// account of the tenant, whatever gives it there, so a username may not
	// be another account's email, phone or Uid, an email not another's
	// username, and so on; the DuplicateError names a's field. One account
	// may give one name twice (a username equal to its own email). The
	// check is atomic: of concurrent writes taking one name, in this
	// process or another, at most one succeeds.
	CreateAccount(a Account) error

	// SaveAccount replaces a stored account. a.Version must equal the stored
	// version (optimistic concurrency; ErrVersionConflict otherwise); the
	// stored version becomes a.Version+1. Identifier and name uniqueness
	// are checked as in CreateAccount, and a rejected save changes nothing,
	// except that a name the account shares with another from before
	// names were unique (a NameConflict) may be kept. The stored
	// identifiers become exactly a's: ones a no longer has stop finding the
	// account and free their names. found=false when the account does not
	// exist.
	SaveAccount(a Account) (found bool, err error)

	// DeleteAccount removes an account with its identifiers, tokens,
	// sessions and attempt counters. found=false when it did not exist.
	// Outbox events are kept: the one reporting the deletion must still be
	// delivered.
	DeleteAccount(tenant, uid string) (found bool, err error)

	// Token reads a token inside the transaction, whatever its state.
	Token(kind TokenKind, hash string) (Token, bool, error)

	// InsertToken stores a token. Hash must be unique across all kinds: a
	// stored hash is an error and the stored token is left as it was.
	InsertToken(t Token) error

	// ConsumeToken atomically takes a one-time token: when a token of that
	// kind and hash exists, is not expired at now (now < ExpiresAt) and not
	// used, it is marked used at now and returned with found=true. Otherwise
	// nothing changes and found=false (Reader.Token tells why). Of any
	// number of concurrent callers at most one gets found=true.
	ConsumeToken(kind TokenKind, hash string, now time.Time) (Token, bool, error)

	// DeleteTokens removes tokens of the account whose kind is in kinds
	// (every kind when kinds is empty), except those bound to the session
	// exceptSession when it is not "". It returns how many were removed.
	DeleteTokens(ref AccountRef, kinds []TokenKind, exceptSession string) (int, error)

	// InvalidateTokens marks the account's unused tokens of the given kinds
	// (every kind when kinds is empty) used at now, except those bound to
	// exceptSession (when not ""). Unlike DeleteTokens the rows stay
	// readable, so a caller can tell an invalidated token from an unknown
	// one (a PIN session token of a locked account answers with the lock).
	// It returns how many tokens it marked.
	InvalidateTokens(ref AccountRef, kinds []TokenKind, exceptSession string, now time.Time) (int, error)

	// DeleteSessionTokens removes the tokens bound to a session whose kind
	// is in kinds (every kind when none is given), used or not, and returns
	// how many it removed. An empty sessionID names no session and removes
	// nothing.
	DeleteSessionTokens(sessionID string, kinds ...TokenKind) (int, error)

	// MoveSessionTokens binds the tokens of session from whose kind is in
	// kinds (every kind when kinds is empty) to session to instead, used or
	// not, and returns how many it moved. Nothing else about the tokens
	// changes. An empty from names no session and moves nothing. (A logout
	// that keeps the refresh family moves it to a new session before it
	// revokes the old one.)
	MoveSessionTokens(from, to string, kinds []TokenKind) (int, error)

	// CreateSession stores a new login session. A used ID is an error.
	CreateSession(s Session) error

	// RevokeSession marks one session revoked at now and deletes its
	// tokens. found=false when it does not exist; revoking twice keeps the
	// first time.
	RevokeSession(id string, now time.Time) (found bool, err error)

	// RevokeSessions revokes every unrevoked session of the account except
	// exceptSession (when not ""), deletes the tokens of every session of
	// the account but that one, and returns the ids it revoked (in no
	// particular order).
	RevokeSessions(ref AccountRef, exceptSession string, now time.Time) ([]string, error)

	// ClearAttempts resets an account's failure count and removes a
	// suspend or captcha lock; a block lock stays, with its count. Every
	// flow a user drives (a login, a reset, a captcha unlock) clears
	// through it, so none can lift a block set while it ran, whatever it
	// read before its transaction: only LiftLocks does.
	ClearAttempts(ref AccountRef) error

	// LiftLocks resets an account's failure count and removes any lock, a
	// block included: an operator's unlock.
	LiftLocks(ref AccountRef) error

	// Lock sets a lock on the account when its failure count has reached
	// limit (or unconditionally when limit is 0) and it is not already
	// locked at now (a lock ends at its LockedUntil). The failure count is
	// kept. locked reports whether this call set it, so that exactly one
	// caller reacts (revokes, emits the event).
	Lock(ref AccountRef, limit int, lockType LockType, until, now time.Time) (locked bool, err error)

	// ReserveQuota counts one use of the quota named key, atomically: when
	// fewer than limit uses are counted in key's current window it counts
	// this one and returns true; otherwise it counts nothing and returns
	// false. A window opens with the first use counted while none is open
	// and ends at that instant plus window (at that instant, not after it);
	// the next use starts a fresh count. A limit below 1 allows nothing.
	// Ended windows may be forgotten at any time. (The gateway keeps its
	// sending limits with it, so they hold across nodes.)
	ReserveQuota(key string, limit int, window time.Duration, now time.Time) (allowed bool, err error)

	// AddEvent writes an event to the outbox; it becomes visible to
	// dispatchers when the transaction commits. An empty State is stored as
	// pending; a used ID is an error.
	AddEvent(e Event) error
}

// AccountRef names one account.
type AccountRef struct {
	Tenant string
	UID    string
}
