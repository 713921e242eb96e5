package operator

import (
	"bytes"
	"context"
	"maps"
	"slices"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/lrimport"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// writeImported writes a batch of imported records into tenant in one
// transaction and forgets the cached accounts it updated.
func writeImported(ctx context.Context, core Core, tenant string, now time.Time, recs []*lrimport.Record) ([]lrimport.Result, error) {
	results := make([]lrimport.Result, len(recs))
	err := core.Store().Update(ctx, func(tx store.Tx) error {
		// A backend may run fn again after a conflict: start afresh.
		for i, rec := range recs {
			var err error
			if results[i].Outcome, results[i].Reason, err = upsertImported(tx, tenant, now, rec); err != nil {
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
			core.AccountChanged(tenant, recs[i].UID)
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
