package pinauth

import (
	"bytes"
	"context"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/lrimport"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// ImportLoginRadius imports a LoginRadius profile export into tenant ("" for
// the only tenant): a JSON array of profiles, or one profile per line
// (NDJSON), read as a stream. Each record keeps its Uid, emails, username,
// phone, roles, flags, dates and every other profile field as given
// (CustomFields included). LoginRadius's password hashes cannot be
// verified here, so secrets are never imported: new accounts are marked
// NeedsSecretReset and set their password and PIN through a reset flow (or
// an operator sets them).
//
// Re-running an import is safe: a record whose Uid exists updates that
// account's emails, username, phone, roles, verified flag and profile
// fields (fields set only here are kept) or is skipped when nothing
// differs; the account's secrets, PIN, active flag, lock state and login
// history are never touched. Imports record no webhook events: they are a
// migration, not registrations. A record that cannot be imported (a
// missing Uid, an invalid field, an email another account has) is counted
// and listed; the rest go on. The returned error is for faults (the input
// is not a JSON array or stream, the store failed, ctx ended); the summary
// then tells how far the import got, and a re-run continues.
func (a *Admin) ImportLoginRadius(ctx context.Context, tenant string, r io.Reader, opts lrimport.Options) (lrimport.Summary, error) {
	c, err := a.call(tenant)
	if err != nil {
		return lrimport.Summary{}, err
	}
	return lrimport.Run(ctx, r, opts, func(ctx context.Context, recs []*lrimport.Record) ([]lrimport.Result, error) {
		return a.writeImported(ctx, c, recs)
	})
}

// writeImported writes a batch of imported records in one transaction and
// forgets the cached accounts it updated.
func (a *Admin) writeImported(ctx context.Context, c *call, recs []*lrimport.Record) ([]lrimport.Result, error) {
	results := make([]lrimport.Result, len(recs))
	err := a.g.store.Update(ctx, func(tx store.Tx) error {
		// A backend may run fn again after a conflict: start afresh.
		for i, rec := range recs {
			var err error
			if results[i].Outcome, results[i].Reason, err = upsertImported(tx, c.tenant.Name, c.now, rec); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, res := range results {
		if res.Outcome == lrimport.Updated {
			a.g.cache.invalidateAccount(c.tenant.Name, recs[i].UID)
		}
	}
	return results, nil
}

// upsertImported creates the record's account in tenant or brings the
// stored one up to date, at now. A taken identifier fails the record, not
// the transaction.
func upsertImported(tx store.Tx, tenant string, now time.Time, rec *lrimport.Record) (lrimport.Outcome, string, error) {
	cur, found, err := tx.Account(tenant, rec.UID)
	if err != nil {
		return lrimport.Failed, "", err
	}
	if !found {
		a := store.Account{
			Tenant: tenant, UID: rec.UID, Active: rec.Active, NeedsSecretReset: true,
			CreatedAt: rec.Created, ModifiedAt: now, NoOfLogins: rec.Logins,
			LastLoginAt: rec.LastLogin, LastLoginLocation: rec.LastLoginLocation,
		}
		if a.CreatedAt.IsZero() {
			a.CreatedAt = now
		}
		rec.Input.Apply(&a)
		if err := tx.CreateAccount(a); err != nil {
			if d, ok := store.IsDuplicate(err); ok {
				return lrimport.Failed, duplicateReason(d), nil
			}
			return lrimport.Failed, "", err
		}
		return lrimport.Created, "", nil
	}
	next := cur
	next.Emails = slices.Clone(cur.Emails)
	next.Roles = slices.Clone(cur.Roles)
	next.Profile = maps.Clone(cur.Profile)
	rec.Input.Apply(&next)
	if sameImported(&cur, &next) {
		return lrimport.Skipped, "", nil
	}
	next.ModifiedAt = now
	if _, err := tx.SaveAccount(next); err != nil {
		if d, ok := store.IsDuplicate(err); ok {
			return lrimport.Failed, duplicateReason(d), nil
		}
		return lrimport.Failed, "", err
	}
	return lrimport.Updated, "", nil
}

func duplicateReason(d *store.DuplicateError) string {
	return "another account of the tenant already has this " + d.Field + " (as its email, user name, phone or Uid)"
}

// sameImported reports whether the fields an import manages are equal.
func sameImported(a, b *store.Account) bool {
	if !slices.Equal(a.Emails, b.Emails) || a.Username != b.Username || a.Phone != b.Phone ||
		!slices.Equal(a.Roles, b.Roles) || a.EmailVerified != b.EmailVerified || len(a.Profile) != len(b.Profile) {
		return false
	}
	for k, v := range a.Profile {
		if w, ok := b.Profile[k]; !ok || !bytes.Equal(v, w) {
			return false
		}
	}
	return true
}
