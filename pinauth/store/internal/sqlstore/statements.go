package sqlstore

import (
	"strconv"
	"strings"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/rows"
)

// The statements both dialects say alike. Placeholders are numbered ($1,
// $2 …) and each number names one argument, wherever it appears; the
// exported ones are those a backend also runs itself (prepares, batches,
// or wraps in a transaction of its own).

// Accounts and their identifiers.
const (
	// AccountByUID reads an account's (version, doc): $1 tenant, $2 uid.
	AccountByUID = `SELECT version, doc FROM accounts WHERE tenant = $1 AND uid = $2`
	// AccountByUIDForUpdate is AccountByUID locking the row until the
	// transaction ends.
	AccountByUIDForUpdate = AccountByUID + ` FOR UPDATE`
	// AccountBy reads the (uid, version, doc) of the account an identifier
	// finds: $1 tenant, $2 kind, $3 value.
	AccountBy = `SELECT a.uid, a.version, a.doc FROM identifiers i
		JOIN accounts a ON a.tenant = i.tenant AND a.uid = i.uid
		WHERE i.tenant = $1 AND i.kind = $2 AND i.value = $3`

	listAccounts     = `SELECT uid, version, doc FROM accounts WHERE tenant = $1 AND uid > $2 ORDER BY uid LIMIT $3`
	countAllAccounts = `SELECT COUNT(*) FROM accounts`
	countAccounts    = `SELECT COUNT(*) FROM accounts WHERE tenant = $1`
	accountVersion   = `SELECT version FROM accounts WHERE tenant = $1 AND uid = $2`
	// The inserts do nothing on a conflict, so that a collision is an
	// answer (no row written) rather than a failed statement, which would
	// abort a PostgreSQL transaction.
	insertAccount = `INSERT INTO accounts (tenant, uid, version, doc) VALUES ($1, $2, 1, $3) ON CONFLICT DO NOTHING`
	// updateAccount saves a document only over the version it was read
	// at: $1 tenant, $2 uid, $3 doc, $4 version.
	updateAccount     = `UPDATE accounts SET version = version + 1, doc = $3 WHERE tenant = $1 AND uid = $2 AND version = $4`
	storedIdentifiers = `SELECT kind, value FROM identifiers WHERE tenant = $1 AND uid = $2`
	insertIdentifier  = `INSERT INTO identifiers (tenant, kind, value, uid) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`
	deleteIdentifier  = `DELETE FROM identifiers WHERE tenant = $1 AND kind = $2 AND value = $3`
	deleteAccount     = `DELETE FROM accounts WHERE tenant = $1 AND uid = $2`
)

// The statements deleting what an account leaves in a table besides
// accounts ($1 tenant, $2 uid), for Dialect.AccountRows.
const (
	DeleteAccountIdentifiers   = `DELETE FROM identifiers WHERE tenant = $1 AND uid = $2`
	DeleteAccountNames         = `DELETE FROM names WHERE tenant = $1 AND uid = $2`
	DeleteAccountNameConflicts = `DELETE FROM name_conflicts WHERE tenant = $1 AND uid = $2`
	DeleteAccountTokens        = `DELETE FROM tokens WHERE tenant = $1 AND uid = $2`
	DeleteAccountSessions      = `DELETE FROM sessions WHERE tenant = $1 AND uid = $2`
	DeleteAccountAttempts      = `DELETE FROM attempts WHERE tenant = $1 AND uid = $2`
)

// Names (see store.Tx.CreateAccount). Identifiers are stored in their
// NameOf form already (see the names migrations).
const (
	// selectNameState reads the Holder and Others of a nameState: $1
	// tenant, $2 name, $3 the writer's uid.
	selectNameState = `SELECT (SELECT uid FROM names WHERE tenant = $1 AND name = $2),
	EXISTS (SELECT 1 FROM identifiers WHERE tenant = $1 AND kind IN ('email', 'phone', 'username') AND value = $2 AND uid <> $3)
	OR EXISTS (SELECT 1 FROM accounts WHERE tenant = $1 AND uid = $2 AND uid <> $3)`
	// nameHavers selects up to two uids of accounts that have a name by an
	// identifier or their Uid ($1 tenant, $2 name), for NameOwner when no
	// account holds it.
	nameHavers = `SELECT uid FROM identifiers WHERE tenant = $1 AND kind IN ('email', 'phone', 'username') AND value = $2
	UNION SELECT uid FROM accounts WHERE tenant = $1 AND uid = $2
	LIMIT 2`
	nameHolder = `SELECT uid FROM names WHERE tenant = $1 AND name = $2`
	// nameConflicts lists the NameConflicts ($1 tenant, $2 uid, "" for
	// all) with their holders, in Reader.NameConflicts's order.
	nameConflicts = `SELECT c.tenant, c.uid, c.kind, c.name, COALESCE(n.uid, '')
	FROM name_conflicts c LEFT JOIN names n ON n.tenant = c.tenant AND n.name = c.name
	WHERE ($1 = '' OR c.tenant = $1) AND ($2 = '' OR c.uid = $2)
	ORDER BY c.tenant, c.name, c.uid`
	// heldNames lists the names an account holds or shares ($1 tenant,
	// $2 uid).
	heldNames = `SELECT name FROM names WHERE tenant = $1 AND uid = $2
	UNION SELECT name FROM name_conflicts WHERE tenant = $1 AND uid = $2`
	insertName = `INSERT INTO names (tenant, name, uid) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`
)

// releaseNames returns the statements that end an account's holding and
// sharing of n names: $1 tenant, $2 uid, then the names.
func releaseNames(n int) [2]string {
	in := ` AND name IN (` + params(3, n) + `)`
	return [2]string{
		`DELETE FROM names WHERE tenant = $1 AND uid = $2` + in,
		`DELETE FROM name_conflicts WHERE tenant = $1 AND uid = $2` + in,
	}
}

// Tokens and sessions.
const (
	// SelectToken reads a token's rows.TokenColumns: $1 hash, $2 kind.
	SelectToken = `SELECT ` + rows.TokenColumns + ` FROM tokens WHERE hash = $1 AND kind = $2`
	// ConsumeToken takes a one-time token in one statement ($1 now, $2
	// hash, $3 kind, $4 now again, so that SQLite can prepare it with
	// Positional): the row is marked used only if it is unused and
	// unexpired, so of concurrent callers exactly one gets it back (on
	// PostgreSQL a waiting caller re-checks the WHERE clause against the
	// committed row).
	ConsumeToken = `UPDATE tokens SET used_at = $1
		WHERE hash = $2 AND kind = $3 AND used_at IS NULL AND expires_at > $4
		RETURNING ` + rows.TokenColumns
	// liveSessionToken orders ties by hash bytewise: SQLite compares
	// text so, and the PostgreSQL column is COLLATE "C".
	liveSessionToken = `SELECT ` + rows.KeyedTokenColumns + ` FROM tokens
		WHERE session_id = $1 AND kind = $2 AND used_at IS NULL AND expires_at > $3
		ORDER BY created_at DESC, hash DESC LIMIT 1`
	insertToken = `INSERT INTO tokens (hash, ` + rows.TokenColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`

	// SelectSession reads a session's rows.SessionColumns: $1 id.
	SelectSession = `SELECT ` + rows.SessionColumns + ` FROM sessions WHERE id = $1`
	insertSession = `INSERT INTO sessions (id, tenant, uid, created_at, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)`
	// revokeSession keeps the first revocation time (COALESCE); the row
	// still counts as matched, which tells whether the session exists.
	revokeSession        = `UPDATE sessions SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2`
	deleteSessionTokens  = `DELETE FROM tokens WHERE session_id = $1`
	revokeOtherSessions  = `UPDATE sessions SET revoked_at = $1 WHERE tenant = $2 AND uid = $3 AND revoked_at IS NULL AND id <> $4 RETURNING id`
	deleteOthersSessions = `DELETE FROM tokens WHERE session_id IN (SELECT id FROM sessions WHERE tenant = $1 AND uid = $2 AND id <> $3)`
)

// accountTokens selects an account's tokens of the given kinds (all when
// empty), except those bound to exceptSession (when not ""), with
// placeholders numbered from first.
func accountTokens(ref store.AccountRef, kinds []store.TokenKind, exceptSession string, first int) (string, []any) {
	var q strings.Builder
	q.WriteString(`tenant = ` + param(first) + ` AND uid = ` + param(first+1))
	args := []any{ref.Tenant, ref.UID}
	args = kindsIn(&q, args, kinds, first)
	if exceptSession != "" {
		q.WriteString(` AND session_id <> ` + param(first+len(args)))
		args = append(args, exceptSession)
	}
	return q.String(), args
}

// sessionTokens selects a session's tokens of the given kinds (all when
// empty), with placeholders numbered from first.
func sessionTokens(sessionID string, kinds []store.TokenKind, first int) (string, []any) {
	var q strings.Builder
	q.WriteString(`session_id = ` + param(first))
	args := kindsIn(&q, []any{sessionID}, kinds, first)
	return q.String(), args
}

// kindsIn adds the condition that a token's kind is one of kinds (none
// when kinds is empty) to q and its arguments to args, whose placeholders
// are numbered from first.
func kindsIn(q *strings.Builder, args []any, kinds []store.TokenKind, first int) []any {
	if len(kinds) == 0 {
		return args
	}
	q.WriteString(` AND kind IN (` + params(first+len(args), len(kinds)) + `)`)
	for _, k := range kinds {
		args = append(args, string(k))
	}
	return args
}

// Attempts.
const (
	// SelectAttempts reads an account's rows.AttemptsColumns: $1 tenant,
	// $2 uid.
	SelectAttempts = `SELECT ` + rows.AttemptsColumns + ` FROM attempts WHERE tenant = $1 AND uid = $2`
	// SelectAttemptsForUpdate is SelectAttempts locking the row.
	SelectAttemptsForUpdate = SelectAttempts + ` FOR UPDATE`
	// UpsertAttempts writes an account's attempts: $1 tenant, $2 uid, then
	// failures, window_start, lock_type, locked_until.
	UpsertAttempts = `INSERT INTO attempts (tenant, uid, failures, window_start, lock_type, locked_until)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (tenant, uid) DO UPDATE SET failures = excluded.failures,
			window_start = excluded.window_start, lock_type = excluded.lock_type,
			locked_until = excluded.locked_until`
	// LockAccount sets a lock whatever the failures, unless one is in
	// force at now: $1 tenant, $2 uid, $3 lock type, $4 until, $5 now.
	LockAccount = `INSERT INTO attempts (tenant, uid, failures, window_start, lock_type, locked_until)
		VALUES ($1, $2, 0, NULL, $3, $4)
		ON CONFLICT (tenant, uid) DO UPDATE SET lock_type = excluded.lock_type, locked_until = excluded.locked_until
		WHERE attempts.lock_type = '' OR attempts.locked_until IS NULL OR attempts.locked_until <= $5`
	// LockAccountAtLimit sets a lock once the failures reach a limit,
	// unless one is in force at now: $1 lock type, $2 until, $3 tenant,
	// $4 uid, $5 limit, $6 now.
	LockAccountAtLimit = `UPDATE attempts SET lock_type = $1, locked_until = $2
		WHERE tenant = $3 AND uid = $4 AND failures >= $5
		AND (lock_type = '' OR locked_until IS NULL OR locked_until <= $6)`
	// PruneAttempts deletes up to $3 records that count no more: no lock
	// in force at $1, no failure in a window started at or after $2. The
	// outer conditions check a row again after waiting for a concurrent
	// writer that holds it (PostgreSQL); under SQLite's single writer
	// they find what the inner ones found.
	PruneAttempts = `DELETE FROM attempts WHERE (tenant, uid) IN (
			SELECT tenant, uid FROM attempts
			WHERE (lock_type = '' OR locked_until IS NULL OR locked_until <= $1)
				AND (failures = 0 OR window_start IS NULL OR window_start < $2)
			LIMIT $3)
			AND (lock_type = '' OR locked_until IS NULL OR locked_until <= $1)
			AND (failures = 0 OR window_start IS NULL OR window_start < $2)`
	clearAttempts = `DELETE FROM attempts WHERE tenant = $1 AND uid = $2 AND lock_type <> $3`
	liftLocks     = `DELETE FROM attempts WHERE tenant = $1 AND uid = $2`
)

// UpsertQuota counts one use of a quota in one statement ($1 key, $2 now,
// $3 the end of a window opening now, $4 limit): a new key, or one whose
// window has ended, starts a window with one use; otherwise the use is
// counted while under the limit. No row changed means the quota is spent.
// On PostgreSQL the conflicting row is locked and re-read by ON CONFLICT
// DO UPDATE, so concurrent callers on any node count exactly.
const UpsertQuota = `INSERT INTO quotas (key, used, window_end) VALUES ($1, 1, $3)
	ON CONFLICT (key) DO UPDATE SET
		used = CASE WHEN quotas.window_end <= $2 THEN 1 ELSE quotas.used + 1 END,
		window_end = CASE WHEN quotas.window_end <= $2 THEN excluded.window_end ELSE quotas.window_end END
	WHERE quotas.window_end <= $2 OR quotas.used < $4`

// Signing keys and meta.
const (
	selectKeys = `SELECT ` + rows.KeyColumns + ` FROM signing_keys ORDER BY created_at, id`
	// InsertKey stores a key: $1 id, $2 alg, $3 private, $4 public, $5
	// pepper id, $6 created, $7 retired.
	InsertKey = `INSERT INTO signing_keys (id, alg, private, public, pepper_id, created_at, retired_at)
		SELECT $1, $2, $3, $4, $5, $6, $7`
	// InsertKeyIfNone is InsertKey unless an unretired key of the
	// algorithm exists.
	InsertKeyIfNone = InsertKey + ` WHERE NOT EXISTS (SELECT 1 FROM signing_keys WHERE alg = $2 AND retired_at IS NULL)`
	// RetireKey keeps the first retirement time: $1 time, $2 id.
	RetireKey  = `UPDATE signing_keys SET retired_at = COALESCE(retired_at, $1) WHERE id = $2`
	selectMeta = `SELECT value FROM meta WHERE key = $1`
	// SetMeta stores $2 under $1.
	SetMeta = `INSERT INTO meta (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`
	// SetMetaIfAbsent stores $2 under $1 unless a value is there, in one
	// statement: the no-op update makes RETURNING yield the value stored
	// (on PostgreSQL a concurrent insert is waited for, then updated).
	SetMetaIfAbsent = `INSERT INTO meta (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = meta.value RETURNING value`
)

// The webhook outbox.
const (
	insertEvent = `INSERT INTO events
		(id, tenant, uid, hook, endpoint, payload, created_at, state, attempts, next_attempt_at, last_error)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`
	countEvents = `SELECT COUNT(*) FROM events WHERE state = $1`
	// CompleteEvent marks a pending event delivered at $1 and ends its
	// lease: $2 id.
	CompleteEvent = `UPDATE events
		SET state = 'delivered', finished_at = $1, claimed_by = '', claimed_until = NULL
		WHERE id = $2 AND state = 'pending'`
	// The failures name the claim: $3 id, $4 owner, $5 attempt. A claim
	// lost meanwhile matches nothing (on PostgreSQL the conditions are
	// checked again against a concurrent change's result).
	// KillEvent marks it dead at $1 with $2 as its last error.
	KillEvent = `UPDATE events
		SET state = 'dead', finished_at = $1, last_error = $2, claimed_by = '', claimed_until = NULL
		WHERE id = $3 AND state = 'pending' AND claimed_by = $4 AND attempts = $5`
	// RetryEvent makes it due at $1 with $2 as its last error.
	RetryEvent = `UPDATE events
		SET next_attempt_at = $1, last_error = $2, claimed_by = '', claimed_until = NULL
		WHERE id = $3 AND state = 'pending' AND claimed_by = $4 AND attempts = $5`
	// ReplayEvent puts dead event $2 back in the queue, due at $1.
	ReplayEvent = `UPDATE events
		SET state = 'pending', attempts = 0, next_attempt_at = $1, last_error = '', finished_at = NULL,
			claimed_by = '', claimed_until = NULL
		WHERE id = $2 AND state = 'dead'`
	// PruneEvents deletes up to $2 events delivered before $1, oldest
	// first.
	PruneEvents = `DELETE FROM events WHERE seq IN (
		SELECT seq FROM events WHERE state = 'delivered' AND finished_at < $1
		ORDER BY finished_at, seq LIMIT $2)`
)

// claimableEvents returns the query selecting the seq of claimable
// events: pending, due, not leased, of a listed endpoint, and the oldest
// pending event of their account and endpoint. Its arguments are now (as
// the backend stores it), the limit, then the endpoints; more arguments
// are numbered from next.
func claimableEvents(endpoints int) (query string, next int) {
	return `SELECT e.seq FROM events e
	WHERE e.state = 'pending'
	  AND (e.next_attempt_at IS NULL OR e.next_attempt_at <= $1)
	  AND (e.claimed_until IS NULL OR e.claimed_until <= $1)
	  AND e.endpoint IN (` + params(3, endpoints) + `)
	  AND NOT EXISTS (SELECT 1 FROM events o
		WHERE o.tenant = e.tenant AND o.uid = e.uid AND o.endpoint = e.endpoint AND o.state = 'pending'
		  AND (o.created_at < e.created_at OR (o.created_at = e.created_at AND o.seq < e.seq)))
	ORDER BY e.created_at, e.seq LIMIT $2`, 3 + endpoints
}

// Positional rewrites q's numbered placeholders into anonymous ones ($1,
// $2 … into ?), for SQLite: its driver binds $N to the N-th argument, but
// looks up the name of each such parameter on every execution, which an
// anonymous one spares the statements run most. ok is false unless each
// number appears once, in order, so that the arguments stay as they are.
func Positional(q string) (_ string, ok bool) {
	var b strings.Builder
	next := 1
	for {
		i := strings.IndexByte(q, '$')
		if i < 0 {
			b.WriteString(q)
			return b.String(), true
		}
		j := i + 1
		for j < len(q) && q[j] >= '0' && q[j] <= '9' {
			j++
		}
		if n, err := strconv.Atoi(q[i+1 : j]); err != nil || n != next {
			return "", false
		}
		next++
		b.WriteString(q[:i] + "?")
		q = q[j:]
	}
}

// param returns placeholder i.
func param(i int) string { return "$" + strconv.Itoa(i) }

// params returns n placeholders numbered from first, comma-separated.
func params(first, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(param(first + i))
	}
	return b.String()
}

// Savepoints. SQLite and PostgreSQL both accept this spelling.
const (
	savepoint         = `SAVEPOINT sp`
	rollbackSavepoint = `ROLLBACK TO SAVEPOINT sp`
	releaseSavepoint  = `RELEASE SAVEPOINT sp`
)
