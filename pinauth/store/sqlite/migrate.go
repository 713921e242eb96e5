package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrSchemaTooNew is returned by Open for a file whose schema was written by
// a newer version of pinauth than this one: using it could corrupt data the
// newer code relies on.
var ErrSchemaTooNew = errors.New("sqlite store: the database schema is newer than this build of pinauth supports")

// A migration moves the schema from version-1 to version. Migrations only
// add: they never drop or rewrite data a running older node could need.
type migration struct {
	version int
	sql     string
}

// migrations is the ordered schema history. Append only; never edit an
// entry that has been released.
var migrations = []migration{
	{1, schemaV1},
	{2, schemaV2},
	{3, schemaQuotas},
	{4, schemaNames},
	{5, schemaRoles},
	{6, schemaChanges},
}

// schemaChanges is the journal of changes that make a token's claims stale
// (issue 22): accounts changed and sessions revoked, with when (unix
// microseconds), so that a gateway (re)starting, or one that another
// process changed the file under, learns them without reading every
// session and account. store.ChangeRetention bounds how long rows stay.
const schemaChanges = `
CREATE TABLE changes (
	at      INTEGER NOT NULL,
	tenant  TEXT NOT NULL,
	uid     TEXT NOT NULL,
	session TEXT NOT NULL -- '' for an account change
);
CREATE INDEX changes_at ON changes (at);
`

const schemaV1 = `
CREATE TABLE accounts (
	tenant  TEXT NOT NULL,
	uid     TEXT NOT NULL,
	version INTEGER NOT NULL,
	doc     TEXT NOT NULL, -- JSON document, see accountDoc
	PRIMARY KEY (tenant, uid)
) WITHOUT ROWID;

-- Login identifiers in normalized form; the primary key is what makes them
-- unique per tenant.
CREATE TABLE identifiers (
	tenant TEXT NOT NULL,
	kind   TEXT NOT NULL,
	value  TEXT NOT NULL,
	uid    TEXT NOT NULL,
	PRIMARY KEY (tenant, kind, value),
	FOREIGN KEY (tenant, uid) REFERENCES accounts (tenant, uid) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX identifiers_account ON identifiers (tenant, uid);

CREATE TABLE tokens (
	hash       TEXT PRIMARY KEY,
	kind       TEXT NOT NULL,
	tenant     TEXT NOT NULL,
	uid        TEXT NOT NULL,
	session_id TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	used_at    INTEGER,
	data       TEXT
) WITHOUT ROWID;
CREATE INDEX tokens_account ON tokens (tenant, uid);
CREATE INDEX tokens_session ON tokens (session_id);

CREATE TABLE sessions (
	id         TEXT PRIMARY KEY,
	tenant     TEXT NOT NULL,
	uid        TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	revoked_at INTEGER
) WITHOUT ROWID;
CREATE INDEX sessions_account ON sessions (tenant, uid);

-- Failure counters live apart from the account document so that counting
-- never conflicts with a profile save.
CREATE TABLE attempts (
	tenant       TEXT NOT NULL,
	uid          TEXT NOT NULL,
	failures     INTEGER NOT NULL,
	window_start INTEGER,
	lock_type    TEXT NOT NULL,
	locked_until INTEGER,
	PRIMARY KEY (tenant, uid)
) WITHOUT ROWID;

CREATE TABLE signing_keys (
	id         TEXT PRIMARY KEY,
	alg        TEXT NOT NULL,
	private    BLOB,
	public     BLOB,
	pepper_id  TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	retired_at INTEGER
) WITHOUT ROWID;

CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;

-- seq keeps insertion order among events created at the same instant.
CREATE TABLE events (
	seq             INTEGER PRIMARY KEY AUTOINCREMENT,
	id              TEXT NOT NULL UNIQUE,
	tenant          TEXT NOT NULL,
	uid             TEXT NOT NULL,
	hook            TEXT NOT NULL,
	endpoint        TEXT NOT NULL,
	payload         BLOB,
	created_at      INTEGER NOT NULL,
	state           TEXT NOT NULL,
	attempts        INTEGER NOT NULL,
	next_attempt_at INTEGER,
	last_error      TEXT NOT NULL
);
CREATE INDEX events_order ON events (created_at, seq);
CREATE INDEX events_state ON events (state, created_at, seq);
`

// schemaV2 adds the webhook dispatcher's lease (claimed_by, claimed_until)
// and the time an event was delivered or died (finished_at, for pruning),
// with the indexes ClaimEvents and PruneEvents need.
const schemaV2 = `
ALTER TABLE events ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN claimed_until INTEGER;
ALTER TABLE events ADD COLUMN finished_at INTEGER;
-- The head of each account's queue per endpoint: the oldest pending event.
CREATE INDEX events_queue ON events (tenant, uid, endpoint, state, created_at, seq);
CREATE INDEX events_finished ON events (state, finished_at);
`

// schemaQuotas holds Tx.ReserveQuota's counters (the gateway's sending
// limits). A row lives until its window ends.
const schemaQuotas = `
CREATE TABLE quotas (
	key        TEXT PRIMARY KEY,
	used       INTEGER NOT NULL,
	window_end INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX quotas_window_end ON quotas (window_end);
`

// schemaRoles holds the roles of each tenant and their permissions (the
// roles management API, issue 20). Which accounts hold a role is part of
// each account's document, as are its role contexts.
const schemaRoles = `
CREATE TABLE roles (
	tenant TEXT NOT NULL,
	name   TEXT NOT NULL,
	PRIMARY KEY (tenant, name)
) WITHOUT ROWID;

CREATE TABLE role_permissions (
	tenant     TEXT NOT NULL,
	role       TEXT NOT NULL,
	permission TEXT NOT NULL,
	PRIMARY KEY (tenant, role, permission)
) WITHOUT ROWID;
`

// schemaNames makes an account's names (its Uid and identifiers, as
// store.NameOf gives them) unique across kinds within a tenant: names
// holds each name's one account. Accounts that already shared a name are
// not merged or changed: the name goes to one of them (by what gives it:
// uid, email, phone, username; then by uid), and the others are recorded
// in name_conflicts, where store.Reader.NameConflicts reports them.
// lower() stands for NameOf here: identifier values are stored in
// NormalizeIdentifier's form already (lower() changes nothing of them),
// and Uids and phones are ASCII.
const schemaNames = `
CREATE TABLE names (
	tenant TEXT NOT NULL,
	name   TEXT NOT NULL,
	uid    TEXT NOT NULL,
	PRIMARY KEY (tenant, name)
) WITHOUT ROWID;
CREATE INDEX names_account ON names (tenant, uid);

CREATE TABLE name_conflicts (
	tenant TEXT NOT NULL,
	name   TEXT NOT NULL,
	uid    TEXT NOT NULL,
	kind   TEXT NOT NULL,
	PRIMARY KEY (tenant, name, uid)
) WITHOUT ROWID;
CREATE INDEX name_conflicts_account ON name_conflicts (tenant, uid);

INSERT INTO names (tenant, name, uid)
	SELECT tenant, name, uid FROM (
		SELECT tenant, name, uid, ROW_NUMBER() OVER (PARTITION BY tenant, name ORDER BY rank, uid) AS n FROM (
			SELECT tenant, lower(uid) AS name, uid, 0 AS rank FROM accounts
			UNION ALL
			SELECT tenant, lower(value), uid, CASE kind WHEN 'email' THEN 1 WHEN 'phone' THEN 2 ELSE 3 END
			FROM identifiers
		)
	) WHERE n = 1;

INSERT OR IGNORE INTO name_conflicts (tenant, name, uid, kind)
	SELECT c.tenant, c.name, c.uid, c.kind FROM (
		SELECT tenant, lower(uid) AS name, uid, 'uid' AS kind, 0 AS rank FROM accounts
		UNION ALL
		SELECT tenant, lower(value), uid, kind, CASE kind WHEN 'email' THEN 1 WHEN 'phone' THEN 2 ELSE 3 END
		FROM identifiers
	) AS c JOIN names n ON n.tenant = c.tenant AND n.name = c.name
	WHERE n.uid <> c.uid
	ORDER BY c.rank;
`

// migrate brings the schema up to the last of ms, one transaction per
// migration so that a failing step leaves the previous version intact.
// Each transaction re-reads the version under the write lock, so processes
// opening the same file together apply every step once.
func migrate(ctx context.Context, db *sql.DB, ms []migration) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("sqlite store: create schema_migrations: %w", err)
	}
	known := 0
	if len(ms) > 0 {
		known = ms[len(ms)-1].version
	}
	current, err := schemaVersion(ctx, db)
	if err != nil {
		return err
	}
	if current > known {
		return fmt.Errorf("%w: the file is at version %d, this build knows up to %d", ErrSchemaTooNew, current, known)
	}
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		if err := apply(ctx, db, m); err != nil {
			return err
		}
	}
	return nil
}

func apply(ctx context.Context, db *sql.DB, m migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite store: migration %d: %w", m.version, err)
	}
	defer tx.Rollback()
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("sqlite store: migration %d: %w", m.version, err)
	}
	if current >= m.version {
		return nil // another process applied it meanwhile
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("sqlite store: migration %d: %w", m.version, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
		m.version, time.Now().UnixMicro()); err != nil {
		return fmt.Errorf("sqlite store: migration %d: %w", m.version, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite store: migration %d: %w", m.version, err)
	}
	return nil
}

func schemaVersion(ctx context.Context, db *sql.DB) (int, error) {
	var v int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("sqlite store: read schema version: %w", err)
	}
	return v, nil
}
