package sqlstore

import (
	"context"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/rows"
)

// The changes journal (issue 22) records, in the transaction that makes
// it, every change that makes an access token's claims stale, so that a
// gateway learns them from the store as well as from announcements: when
// it starts, and every little while to prove its view is current. Times
// are the writer's wall clock, not an injected one: every gateway reads
// the journal by its own wall clock, and clocks of a cluster agree to far
// better than the margins readers leave.
const (
	insertChange = `INSERT INTO changes (at, tenant, uid, session) VALUES ($1, $2, $3, $4)`
	// PruneChanges is Dialect.PruneChanges for a single writer.
	PruneChanges  = `DELETE FROM changes WHERE at < $1`
	selectChanges = `SELECT tenant, uid, session FROM changes WHERE at >= $1`
)

// journal records a change of account ref (when sessions is empty) or the
// revocation of sessions, and drops what is older than
// store.ChangeRetention.
func (t *Tx[T]) journal(ref store.AccountRef, sessions ...string) error {
	now := time.Now()
	if _, err := t.exec(t.d.PruneChanges, t.d.Time(now.Add(-store.ChangeRetention))); err != nil {
		return t.d.Fault("journal change", err)
	}
	if len(sessions) == 0 {
		sessions = []string{""}
	}
	for _, sid := range sessions {
		if _, err := t.exec(insertChange, t.d.Time(now), ref.Tenant, ref.UID, sid); err != nil {
			return t.d.Fault("journal change", err)
		}
	}
	return nil
}

// change is one row of the journal.
type change struct{ tenant, uid, session string }

func scanChange(sc rows.Scanner) (change, error) {
	var c change
	err := sc.Scan(&c.tenant, &c.uid, &c.session)
	return c, err
}

// Changes implements store.Reader.
func (r *Reader[T]) Changes(ctx context.Context, since time.Time) (store.Changes, error) {
	var out store.Changes
	list, err := all(r, ctx, "changes", scanChange, selectChanges, r.d.Time(since))
	if err != nil {
		return out, err
	}
	accounts := map[store.AccountRef]bool{}
	sessions := map[string]bool{}
	for _, c := range list {
		switch {
		case c.session != "" && !sessions[c.session]:
			sessions[c.session] = true
			out.Sessions = append(out.Sessions, c.session)
		case c.session == "" && !accounts[store.AccountRef{Tenant: c.tenant, UID: c.uid}]:
			ref := store.AccountRef{Tenant: c.tenant, UID: c.uid}
			accounts[ref] = true
			out.Accounts = append(out.Accounts, ref)
		}
	}
	return out, nil
}
