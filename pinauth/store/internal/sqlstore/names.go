package sqlstore

import (
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/internal/rows"
)

// writeNames gives a its names: it checks that none is another account's
// (a *DuplicateError otherwise), releases the names a no longer has and
// inserts the ones it takes. had are the names a's stored identifiers
// give it (nil for a new account).
func (t *Tx[T]) writeNames(a *store.Account, had map[string]bool) error {
	names := a.Names()
	var claims []store.Name
	for _, n := range names {
		var holder *string
		st := nameState{Had: had[n.Value]}
		if err := t.queryRow(selectNameState, a.Tenant, n.Value, a.UID).Scan(&holder, &st.Others); err != nil {
			return err
		}
		if holder != nil {
			st.Holder = *holder
		}
		claim, err := claimName(a.UID, n, st)
		if err != nil {
			return err
		}
		if claim {
			claims = append(claims, n)
		}
	}
	held, err := collect(t.ctx, t.c, rows.String, heldNames, a.Tenant, a.UID)
	if err != nil {
		return err
	}
	release := dropped(held, names)
	for _, c := range claims {
		release = append(release, c.Value) // a claim ends the account's sharing of the name
	}
	if len(release) > 0 {
		args := []any{a.Tenant, a.UID}
		for _, n := range release {
			args = append(args, n)
		}
		for _, q := range releaseNames(len(release)) {
			if _, err := t.exec(q, args...); err != nil {
				return err
			}
		}
	}
	for _, c := range claims {
		n, err := t.exec(insertName, a.Tenant, c.Value, a.UID)
		if err != nil {
			return err
		}
		if n == 0 {
			return &store.DuplicateError{Field: c.Field}
		}
	}
	return nil
}

// nameState is what a store holds about one name when an account wants
// it (see store.Tx.CreateAccount), read in the writing transaction.
type nameState struct {
	// Holder is the uid of the account holding the name (its row in
	// names), "" for none.
	Holder string
	// Others reports that an account other than the writer has the name
	// by its stored identifiers or Uid, whether or not it holds it: a
	// NameConflict from before names were unique, or an account that a
	// node of the previous release wrote during a rolling upgrade.
	Others bool
	// Had reports that the writer's stored identifiers or Uid already
	// give it the name.
	Had bool
}

// claimName reports whether the account uid must insert the name's row to
// have name n: false when it holds it already, or had it from before
// while another account still has it too (it keeps it, unheld); a
// *DuplicateError naming n's field when another account has the name and
// the writer did not.
func claimName(uid string, n store.Name, st nameState) (bool, error) {
	switch {
	case st.Holder == uid:
		return false, nil
	case st.Had:
		return st.Holder == "" && !st.Others, nil
	case st.Holder != "" || st.Others:
		return false, &store.DuplicateError{Field: n.Field}
	}
	return true, nil
}

// namesOf returns the names an account with this uid and these stored
// identifiers has.
func namesOf(uid string, ids []store.Identifier) map[string]bool {
	had := map[string]bool{store.NameOf(uid): true}
	for _, id := range ids {
		had[store.NameOf(id.Value)] = true
	}
	return had
}

// sameUnverified reports whether a and b have the same unverified
// emails, by name.
func sameUnverified(a, b *store.Account) bool {
	if len(a.UnverifiedEmails) != len(b.UnverifiedEmails) {
		return false
	}
	for i, e := range a.UnverifiedEmails {
		if store.NameOf(e.Value) != store.NameOf(b.UnverifiedEmails[i].Value) {
			return false
		}
	}
	return true
}

// dropped returns the names in had that names no longer contains.
func dropped(had []string, names []store.Name) []string {
	var out []string
	for _, h := range had {
		keep := false
		for _, n := range names {
			if n.Value == h {
				keep = true
				break
			}
		}
		if !keep {
			out = append(out, h)
		}
	}
	return out
}

// owner is Reader.NameOwner's answer for a name no account holds, given
// up to two accounts having it.
func owner(havers []string) (uid string, taken bool) {
	if len(havers) == 1 {
		return havers[0], true
	}
	return "", len(havers) > 0
}
