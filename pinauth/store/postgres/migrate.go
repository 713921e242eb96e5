package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrSchemaTooNew is returned by Open for a database whose schema was
// written by a newer version of pinauth than this one: using it could
// corrupt data the newer code relies on.
var ErrSchemaTooNew = errors.New("postgres store: the database schema is newer than this build of pinauth supports")

// Advisory lock namespaces (the first key of the two-key form), chosen so
// as not to collide with other applications' locks in a shared database.
// Each spells four ASCII letters.
const (
	lockMigrate  int32 = 0x70696e6d // "pinm": one migrator at a time
	lockAttempts int32 = 0x70696e61 // "pina": one attempt decision per account
	lockKeys     int32 = 0x70696e6b // "pink": one first key per algorithm
)

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
	{2, schemaQuotas},
	{3, schemaNames},
	{4, schemaRoles},
	{5, schemaChanges},
}

// schemaChanges is the journal of changes that make a token's claims stale
// (issue 22): accounts changed and sessions revoked, with when, so that a
// gateway (re)starting or reconnecting learns them without reading every
// session and account. store.ChangeRetention bounds how long rows stay.
const schemaChanges = `
CREATE TABLE changes (
	at      timestamptz NOT NULL,
	tenant  TEXT NOT NULL,
	uid     TEXT NOT NULL,
	session TEXT NOT NULL -- '' for an account change
);
CREATE INDEX changes_at ON changes (at);
`

// schemaRoles holds the roles of each tenant and their permissions (the
// roles management API, issue 20). Which accounts hold a role is part of
// each account's document, as are its role contexts.
const schemaRoles = `
CREATE TABLE roles (
	tenant TEXT NOT NULL,
	name   TEXT NOT NULL,
	PRIMARY KEY (tenant, name)
);

CREATE TABLE role_permissions (
	tenant     TEXT NOT NULL,
	role       TEXT NOT NULL,
	permission TEXT NOT NULL,
	PRIMARY KEY (tenant, role, permission)
);
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
	tenant text COLLATE "C" NOT NULL,
	name   text COLLATE "C" NOT NULL,
	uid    text COLLATE "C" NOT NULL,
	PRIMARY KEY (tenant, name),
	FOREIGN KEY (tenant, uid) REFERENCES accounts (tenant, uid) ON DELETE CASCADE
);
CREATE INDEX names_account ON names (tenant, uid);

CREATE TABLE name_conflicts (
	tenant text COLLATE "C" NOT NULL,
	name   text COLLATE "C" NOT NULL,
	uid    text COLLATE "C" NOT NULL,
	kind   text COLLATE "C" NOT NULL,
	PRIMARY KEY (tenant, name, uid),
	FOREIGN KEY (tenant, uid) REFERENCES accounts (tenant, uid) ON DELETE CASCADE
);
CREATE INDEX name_conflicts_account ON name_conflicts (tenant, uid);

INSERT INTO names (tenant, name, uid)
	SELECT DISTINCT ON (tenant, name) tenant, name, uid FROM (
		SELECT tenant, lower(uid) AS name, uid, 'uid' AS kind, 0 AS rank FROM accounts
		UNION ALL
		SELECT tenant, lower(value), uid, kind, CASE kind WHEN 'email' THEN 1 WHEN 'phone' THEN 2 ELSE 3 END
		FROM identifiers
	) AS c
	ORDER BY tenant, name, rank, uid;

INSERT INTO name_conflicts (tenant, name, uid, kind)
	SELECT DISTINCT ON (c.tenant, c.name, c.uid) c.tenant, c.name, c.uid, c.kind FROM (
		SELECT tenant, lower(uid) AS name, uid, 'uid' AS kind, 0 AS rank FROM accounts
		UNION ALL
		SELECT tenant, lower(value), uid, kind, CASE kind WHEN 'email' THEN 1 WHEN 'phone' THEN 2 ELSE 3 END
		FROM identifiers
	) AS c JOIN names n ON n.tenant = c.tenant AND n.name = c.name
	WHERE n.uid <> c.uid
	ORDER BY c.tenant, c.name, c.uid, c.rank;
`

// schemaQuotas holds Tx.ReserveQuota's counters (the gateway's sending
// limits). A row lives until its window ends.
const schemaQuotas = `
CREATE TABLE quotas (
	key        text COLLATE "C" PRIMARY KEY,
	used       integer NOT NULL,
	window_end timestamptz NOT NULL
);
CREATE INDEX quotas_window_end ON quotas (window_end);
`

// Identifiers, uids and ids compare bytewise (COLLATE "C"): ordering and
// paging must not depend on the server's locale.
const schemaV1 = `
CREATE TABLE accounts (
	tenant  text COLLATE "C" NOT NULL,
	uid     text COLLATE "C" NOT NULL,
	version bigint NOT NULL,
	-- The account as JSON (see accountDoc). json, not jsonb: jsonb would
	-- reorder and re-encode the profile, which must round-trip byte for
	-- byte.
	doc     json NOT NULL,
	PRIMARY KEY (tenant, uid)
);

-- Login identifiers in normalized form; the primary key is what makes them
-- unique per tenant.
CREATE TABLE identifiers (
	tenant text COLLATE "C" NOT NULL,
	kind   text COLLATE "C" NOT NULL,
	value  text COLLATE "C" NOT NULL,
	uid    text COLLATE "C" NOT NULL,
	PRIMARY KEY (tenant, kind, value),
	FOREIGN KEY (tenant, uid) REFERENCES accounts (tenant, uid) ON DELETE CASCADE
);
CREATE INDEX identifiers_account ON identifiers (tenant, uid);

CREATE TABLE tokens (
	hash       text COLLATE "C" PRIMARY KEY,
	kind       text COLLATE "C" NOT NULL,
	tenant     text COLLATE "C" NOT NULL,
	uid        text COLLATE "C" NOT NULL,
	session_id text COLLATE "C" NOT NULL,
	created_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL,
	used_at    timestamptz,
	data       text
);
CREATE INDEX tokens_account ON tokens (tenant, uid);
CREATE INDEX tokens_session ON tokens (session_id);

CREATE TABLE sessions (
	id         text COLLATE "C" PRIMARY KEY,
	tenant     text COLLATE "C" NOT NULL,
	uid        text COLLATE "C" NOT NULL,
	created_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL,
	revoked_at timestamptz
);
CREATE INDEX sessions_account ON sessions (tenant, uid);

-- Failure counters live apart from the account document so that counting
-- never conflicts with a profile save.
CREATE TABLE attempts (
	tenant       text COLLATE "C" NOT NULL,
	uid          text COLLATE "C" NOT NULL,
	failures     integer NOT NULL,
	window_start timestamptz,
	lock_type    text NOT NULL,
	locked_until timestamptz,
	PRIMARY KEY (tenant, uid)
);

CREATE TABLE signing_keys (
	id         text COLLATE "C" PRIMARY KEY,
	alg        text COLLATE "C" NOT NULL,
	private    bytea,
	public     bytea,
	pepper_id  text NOT NULL,
	created_at timestamptz NOT NULL,
	retired_at timestamptz
);

CREATE TABLE meta (
	key   text COLLATE "C" PRIMARY KEY,
	value text NOT NULL
);

-- seq keeps insertion order among events created at the same instant.
CREATE TABLE events (
	seq             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id              text COLLATE "C" NOT NULL UNIQUE,
	tenant          text COLLATE "C" NOT NULL,
	uid             text COLLATE "C" NOT NULL,
	hook            text NOT NULL,
	endpoint        text NOT NULL,
	payload         bytea,
	created_at      timestamptz NOT NULL,
	state           text COLLATE "C" NOT NULL,
	attempts        integer NOT NULL,
	next_attempt_at timestamptz,
	last_error      text NOT NULL,
	-- The webhook dispatcher's lease, and when the event was delivered or
	-- died (for pruning).
	claimed_by      text NOT NULL DEFAULT '',
	claimed_until   timestamptz,
	finished_at     timestamptz
);
CREATE INDEX events_order ON events (created_at, seq);
CREATE INDEX events_state ON events (state, created_at, seq);
-- The head of each account's queue per endpoint: its oldest pending event.
CREATE INDEX events_queue ON events (tenant, uid, endpoint, state, created_at, seq);
CREATE INDEX events_finished ON events (state, finished_at);
`

// migrate brings the schema up to the last of ms. One connection holds a
// session advisory lock throughout, so nodes starting together migrate one
// after the other: the first applies the steps, the others find them
// applied. Each step commits with its version row, so a failing step
// leaves the previous version intact.
func migrate(ctx context.Context, pool *pgxpool.Pool, ms []migration) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres store: connect: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, 0)`, lockMigrate); err != nil {
		return fmt.Errorf("postgres store: wait for other nodes' migrations: %w", err)
	}
	defer func() {
		// A context that ended leaves the connection in doubt; dropping
		// it ends the session and with it the lock.
		if _, err := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1, 0)`, lockMigrate); err != nil {
			conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return fmt.Errorf("postgres store: create schema_migrations: %w", err)
	}
	var current int
	if err := conn.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("postgres store: read schema version: %w", err)
	}
	known := 0
	if len(ms) > 0 {
		known = ms[len(ms)-1].version
	}
	if current > known {
		return fmt.Errorf("%w: the database is at version %d, this build knows up to %d", ErrSchemaTooNew, current, known)
	}
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, m.version)
			return err
		})
		if err != nil {
			return fmt.Errorf("postgres store: migration %d: %w", m.version, err)
		}
	}
	return nil
}
