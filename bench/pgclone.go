package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// pgAPISeeded is how many accounts seedPostgresAccounts writes through the
// store API; the rest are cloned from account 0 inside the database.
const pgAPISeeded = 1000

// pgCloneChunk is the number of accounts cloned per transaction: one
// chunk's four INSERTs take seconds, and the log shows progress between
// them.
const pgCloneChunk = 100000

// pgCloneMax bounds the accounts the clone names correctly: emailOf's
// %07d is the SQL's lpad(…, 7, '0'), which would cut longer numbers.
const pgCloneMax = 10_000_000

// seedPostgresAccounts writes accounts 0…n-1 as seedAccounts does, but
// only the first pgAPISeeded through the store API (at about 140 accounts
// a second on a loaded 2-core machine, 1M would take two hours): the rest
// are copies of account 0's rows made in SQL, with its Uid, email and
// session id replaced by theirs, so they are what the store API writes.
func seedPostgresAccounts(ctx context.Context, st store.Store, dsn string, tmpl store.Account, n int, now time.Time) error {
	k := min(n, pgAPISeeded)
	if err := seedAccounts(ctx, st, tmpl, k, pgSeedWorkers, now); err != nil {
		return err
	}
	if n <= k {
		return nil
	}
	return cloneAccounts(ctx, dsn, tmpl.Tenant, k, n)
}

// A cloneStep copies account 0's rows of one table to other accounts.
type cloneStep struct {
	table string
	sql   string
	args  int // how many of $1…$5 sql takes
}

// cloneSteps copy account 0's rows in each per-account table that
// CreateAccount and CreateSession write (accounts, identifiers, names,
// sessions; the parents first) to accounts $1…$2. $3 is the tenant, $4
// account 0's Uid, $5 its email. Text naming account 0 is replaced with
// account i's: the document is the API's text with the Uid and email
// substituted, so it stays byte for byte what CreateAccount writes. The
// SQL spells uidOf, emailOf and sidOf.
var cloneSteps = func() []cloneStep {
	const g = `WITH g AS (SELECT 'b' || lpad(to_hex(i), 31, '0') AS uid,
		'user' || lpad(i::text, 7, '0') || '@bench.invalid' AS email,
		'00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0') AS sid
		FROM generate_series($1::bigint, $2::bigint) AS i) `
	const sub = `replace(replace(%s, $4, g.uid), $5, g.email)`
	const from = ` r, g WHERE r.tenant = $3 AND r.uid = $4`
	return []cloneStep{
		{"accounts", g + `INSERT INTO accounts (tenant, uid, version, doc) SELECT r.tenant, g.uid, r.version, ` +
			fmt.Sprintf(sub, "r.doc::text") + `::json FROM accounts` + from, 5},
		{"identifiers", g + `INSERT INTO identifiers (tenant, kind, value, uid) SELECT r.tenant, r.kind, ` +
			fmt.Sprintf(sub, "r.value") + `, g.uid FROM identifiers` + from, 5},
		{"names", g + `INSERT INTO names (tenant, name, uid) SELECT r.tenant, ` +
			fmt.Sprintf(sub, "r.name") + `, g.uid FROM names` + from, 5},
		{"sessions", g + `INSERT INTO sessions (id, tenant, uid, created_at, expires_at, revoked_at)
			SELECT g.sid, r.tenant, g.uid, r.created_at, r.expires_at, r.revoked_at FROM sessions` + from, 4},
	}
}()

// cloneAccounts writes accounts first…n-1 as copies of account 0 (which
// must exist, with its one session), pgCloneChunk accounts per
// transaction, then refreshes the planner's statistics.
func cloneAccounts(ctx context.Context, dsn, tenant string, first, n int) error {
	if n > pgCloneMax {
		return fmt.Errorf("clone accounts: %d is more than the %d the SQL names", n, pgCloneMax)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("clone accounts: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	start := time.Now()
	for lo := first; lo < n; lo += pgCloneChunk {
		hi := min(n, lo+pgCloneChunk) - 1
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			args := []any{lo, hi, tenant, uidOf(0), emailOf(0)}
			for _, step := range cloneSteps {
				tag, err := tx.Exec(ctx, step.sql, args[:step.args]...)
				if err != nil {
					return fmt.Errorf("%s: %w", step.table, err)
				}
				if tag.RowsAffected() == 0 {
					return fmt.Errorf("%s: account 0 has no rows to copy", step.table)
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("clone accounts %d-%d: %w", lo, hi, err)
		}
		log.Printf("seed: %d/%d accounts (cloned in SQL, %.1fs)", hi+1, n, time.Since(start).Seconds())
	}
	if _, err := conn.Exec(ctx, "ANALYZE"); err != nil {
		return fmt.Errorf("clone accounts: analyze: %w", err)
	}
	return nil
}
